import type { Note, SourcePos } from "../model/runbook.ts";
import type { FileWalk } from "./file-walk.ts";
import type { TagLine } from "./markdown-source.ts";

/** `{% hint style=… %}`: prose up to its `{% endhint %}` becomes a note. */
export function openHint(walk: FileWalk, tag: TagLine): void {
  // A second opening is reported and ignored: its {% endhint %} closes the first.
  if (walk.hint) {
    walk.problem(
      "bad-attribute",
      "a hint is opened inside another hint",
      tag.pos,
      "close the first one with {% endhint %}",
    );
  } else walk.hint = { level: hintLevel(tag.arg), pos: tag.pos, parts: [] };
}

export function closeHint(walk: FileWalk, tag: TagLine): void {
  if (!walk.hint) {
    walk.problem(
      "bad-attribute",
      "{% endhint %} without a {% hint %}",
      tag.pos,
      "remove it or open the hint before",
    );
    return;
  }
  const done = walk.hint;
  walk.hint = undefined;
  walk.addNote({ level: done.level, text: done.parts.join("\n\n").trim(), pos: done.pos });
}

function hintLevel(style: string): Note["level"] {
  switch (style) {
    case "warning":
      return "warning";
    case "danger":
      return "danger";
    default:
      return "info";
  }
}

/** A GitHub alert (`> [!WARNING]`) as a note; any other block quote is prose. */
export function readAlert(source: string, pos: SourcePos): Note | undefined {
  const text = source
    .split("\n")
    .map((l) => l.replace(/^\s{0,3}>\s?/, ""))
    .join("\n");
  const m = /^\s*\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*/i.exec(text);
  if (!m?.[1]) return undefined;
  const kind = m[1].toUpperCase();
  const level: Note["level"] = kind === "WARNING" ? "warning" : kind === "CAUTION" ? "danger" : "info";
  return { level, text: text.slice(m[0].length).trim(), pos };
}
