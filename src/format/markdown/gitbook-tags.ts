import { RunbookError } from "../../model/errors.ts";
import type { SourcePos } from "../../model/runbook.ts";
import type { TagLine } from "../markdown-source.ts";

const TAG = /^\s*\{%-?\s*(hint|endhint|page-ref|include)\b(.*?)-?%\}\s*$/;

/**
 * Takes the lines holding only a GitBook tag out of `lines` (blanked, so every other position stays),
 * skipping lines of code (`fenced`); a tag written wrong is reported and blanked too.
 */
export function takeTags(
  file: string,
  lines: string[],
  fenced: Uint8Array,
  errors: RunbookError[],
): { tags: TagLine[]; blanked: boolean } {
  const tags: TagLine[] = [];
  let blanked = false;
  for (let i = 0; i < lines.length; i++) {
    if (fenced[i]) continue;
    const line = lines[i] as string;
    if (!line.includes("{%")) continue;
    const m = TAG.exec(line);
    if (!m?.[1]) continue;
    const pos = { file, line: i + 1, col: line.indexOf("{%") + 1 };
    try {
      tags.push(readTag(m[1], m[2] ?? "", pos));
    } catch (e) {
      if (!(e instanceof RunbookError)) throw e;
      errors.push(e);
    }
    lines[i] = "";
    blanked = true;
  }
  return { tags, blanked };
}

function readTag(name: string, rest: string, pos: SourcePos): TagLine {
  const attr = (key: string) => new RegExp(`${key}\\s*=\\s*"([^"]*)"`).exec(rest)?.[1];
  switch (name) {
    case "hint": {
      const style = attr("style") ?? "info";
      return { tag: "hint", arg: style, pos };
    }
    case "endhint":
      return { tag: "endhint", arg: "", pos };
    case "page-ref": {
      const page = attr("page");
      if (!page) {
        throw new RunbookError(
          "include-missing",
          "page-ref without a page",
          pos,
          'write {% page-ref page="fragments/x.md" %}',
        );
      }
      return { tag: "include", arg: page, pos };
    }
    default: {
      const path = /^\s*"([^"]+)"\s*$/.exec(rest)?.[1] ?? /^\s*'([^']+)'\s*$/.exec(rest)?.[1];
      if (!path) {
        throw new RunbookError(
          "include-missing",
          "include without a quoted path",
          pos,
          'write {% include "fragments/x.md" %}',
        );
      }
      return { tag: "include", arg: path, pos };
    }
  }
}
