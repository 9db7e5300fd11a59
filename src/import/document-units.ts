import { type Block, readMarkdown } from "../format/markdown-source.ts";
import { readShellBlock } from "./shell-block.ts";

/** The document as the importer walks it: headings, prose, code and GitBook tags, each at its line. */
export type Unit =
  | {
      kind: "heading";
      depth: number;
      title: string;
      line: number;
      /** A numbered list item holding a command, or a bold line above one, read as a heading. */
      virtual?: "list-item" | "bold-line";
      /** Links written in the heading (a title is plain text): kept beside it. */
      links?: string[];
    }
  | { kind: "prose"; text: string; line: number }
  | { kind: "code"; lang: string; value: string; source: string; line: number; codeLine: number }
  | { kind: "tag"; tag: "hint" | "endhint" | "include"; arg: string; line: number };

export interface DocumentUnits {
  frontMatter?: { text: string; line: number };
  units: Unit[];
}

const BOLD_LINE = /^\*\*([^*\n]+)\*\*\s*$/;
const ITEM = /^(\d{1,3}[.)])(\s+)(.*)$/;
const FENCE = /^\s*(```|~~~)/;

/** Reads the document into units; `lineOffset` is added to every line (a list item read on its own). */
export function documentUnits(file: string, text: string, lineOffset = 0, depth = 0): DocumentUnits {
  const source = readMarkdown(file, text);
  const units: Unit[] = [];
  let lastDepth = depth;
  let commandsSinceHeading = false;
  const items = source.items;
  for (let k = 0; k < items.length; k++) {
    const item = items[k] as (typeof items)[number];
    if (item.kind === "tag") {
      units.push({ kind: "tag", tag: item.tag.tag, arg: item.tag.arg, line: item.tag.pos.line + lineOffset });
      continue;
    }
    const line = item.pos.line + lineOffset;
    if (item.kind === "heading") {
      const links = [...item.source.matchAll(/\[[^\]\n]*\]\([^)\s]+\)/g)].map((m) => m[0]);
      units.push({
        kind: "heading",
        depth: item.depth,
        title: cleanTitle(item.title),
        line,
        ...(links.length ? { links } : {}),
      });
      lastDepth = item.depth;
      commandsSinceHeading = false;
    } else if (item.kind === "code") {
      const codeLine = item.fenced ? line + 1 : line;
      units.push({ kind: "code", lang: item.lang, value: item.value, source: item.source, line, codeLine });
      if (readShellBlock(item.lang, item.value, codeLine)) commandsSinceHeading = true;
    } else if (isBoldLabel(item, items[k + 1])) {
      const title = cleanTitle(BOLD_LINE.exec(item.source)?.[1] ?? "");
      const d = commandsSinceHeading ? lastDepth : lastDepth + 1;
      units.push({ kind: "heading", depth: d, title, line, virtual: "bold-line" });
      commandsSinceHeading = false;
    } else if (
      item.kind === "other" &&
      holdsFences(item.source) &&
      ITEM.test(item.source.split("\n")[0] ?? "")
    ) {
      units.push(...listItems(file, item, lineOffset, lastDepth + 1));
    } else {
      units.push({ kind: "prose", text: item.source, line });
    }
  }
  return { frontMatter: source.frontMatter, units };
}

function isBoldLabel(block: Block, next: unknown): boolean {
  if (block.kind !== "other" || !BOLD_LINE.test(block.source)) return false;
  const n = next as Block | undefined;
  return n?.kind === "code" && readShellBlock(n.lang, n.value, 1) !== undefined;
}

function holdsFences(text: string): boolean {
  return text.split("\n").some((l) => FENCE.test(l));
}

/** A numbered list whose items hold code: each item a heading of its own, its content read on its own. */
function listItems(file: string, block: Block, lineOffset: number, depth: number): Unit[] {
  const lines = block.source.split("\n");
  const starts: number[] = [];
  lines.forEach((l, i) => {
    if (ITEM.test(l)) starts.push(i);
  });
  const units: Unit[] = [];
  const base = block.pos.line + lineOffset;
  if ((starts[0] ?? 0) > 0)
    units.push({ kind: "prose", text: lines.slice(0, starts[0]).join("\n"), line: base });
  starts.forEach((start, n) => {
    const end = starts[n + 1] ?? lines.length;
    const m = ITEM.exec(lines[start] as string);
    const indent = (m?.[1]?.length ?? 2) + (m?.[2]?.length ?? 1);
    const title = cleanTitle(m?.[3] ?? "").replace(/[:：]\s*$/, "");
    units.push({ kind: "heading", depth, title, line: base + start, virtual: "list-item" });
    const body = lines
      .slice(start + 1, end)
      .map((l) => (l.slice(0, indent).trim() === "" ? l.slice(indent) : l.trimStart()))
      .join("\n");
    if (body.trim() !== "") units.push(...documentUnits(file, body, base + start, depth).units);
  });
  return units;
}

/** A heading's text without GitBook's bold markers, escapes or a trailing `{#id}`. */
export function cleanTitle(title: string): string {
  return title
    .replace(/\{[^{}]*\}\s*$/, "")
    .replace(/\*\*/g, "")
    .replace(/\\([\\`*_{}[\]()#+\-.!])/g, "$1")
    .replace(/\s+/g, " ")
    .trim();
}
