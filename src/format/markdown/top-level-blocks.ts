import type Token from "markdown-it/lib/token.mjs";
import type { RunbookError } from "../../model/errors.ts";
import type { Block, BlockBase } from "../markdown-source.ts";
import { fenceClosed, nestedAction } from "./fences.ts";
import { type Env, headingTitle, splitInfo } from "./parser.ts";

export function firstCol(line: string): number {
  const m = /\S/.exec(line);
  return m ? m.index + 1 : 1;
}

/** The blocks at the top of the document, each with its position and its text as written. */
export function topLevelBlocks(file: string, lines: string[], tokens: Token[], env: Env): Block[] {
  const blocks: Block[] = [];
  let covered = 0; // lines before this one belong to a block already (or are blank)
  const flushGap = (until: number) => {
    // markdown-it keeps no token for link reference definitions: they are the non-blank lines between blocks.
    let i = covered;
    while (i < until) {
      if ((lines[i] as string).trim() === "") {
        i++;
        continue;
      }
      // One block per definition: a new one starts at a line opening with `[`.
      let j = i + 1;
      while (j < until && (lines[j] as string).trim() !== "" && !/^ {0,3}\[/.test(lines[j] as string)) j++;
      blocks.push({ kind: "other", nested: [], ...span(file, lines, i, j) });
      i = j;
    }
  };
  let container: { nested: RunbookError[] } | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i] as Token;
    if (tok.level > 0) {
      if (container && tok.type === "fence" && tok.map && fenceClosed(lines, tok)) {
        const { lang, meta } = splitInfo(tok.info);
        if (lang.startsWith("{") || meta.startsWith("{"))
          container.nested.push(nestedAction(file, lines, tok));
      }
      continue;
    }
    if (tok.nesting === -1 || !tok.map) continue;
    container = undefined;
    const [start, end] = tok.map;
    flushGap(start);
    covered = Math.max(covered, end);
    // Indented code and HTML keep their indentation, as written.
    const where = span(file, lines, start, end, tok.type === "code_block" || tok.type === "html_block");
    switch (tok.type) {
      case "heading_open": {
        const inline = tokens[i + 1];
        blocks.push({
          kind: "heading",
          depth: Number(tok.tag.slice(1)),
          title: headingTitle(inline?.type === "inline" ? inline.content : "", env),
          ...where,
        });
        break;
      }
      case "fence":
      case "code_block": {
        const { lang, meta } = tok.type === "fence" ? splitInfo(tok.info) : { lang: "", meta: "" };
        const content = tok.content;
        blocks.push({
          kind: "code",
          fenced: tok.type === "fence",
          lang,
          meta,
          value: tok.type === "fence" && content.endsWith("\n") ? content.slice(0, -1) : content,
          closed: tok.type === "code_block" || fenceClosed(lines, tok),
          ...where,
        });
        break;
      }
      case "blockquote_open":
        container = { kind: "blockquote", nested: [], ...where } as Block & { nested: RunbookError[] };
        blocks.push(container as Block);
        break;
      default:
        container = { kind: "other", nested: [], ...where } as Block & { nested: RunbookError[] };
        blocks.push(container as Block);
    }
  }
  flushGap(lines.length);
  return blocks;
}

/**
 * Position and text of lines [start, end): from the first character (or the line's start) to the end of
 * the last non-blank line.
 */
function span(file: string, lines: string[], start: number, end: number, whole = false): BlockBase {
  let last = Math.min(end, lines.length) - 1;
  while (last > start && (lines[last] as string).trim() === "") last--;
  const first = lines[start] ?? "";
  const col = whole ? 1 : firstCol(first);
  const parts = [first.slice(col - 1)];
  for (let i = start + 1; i <= last; i++) parts.push(lines[i] as string);
  return { pos: { file, line: start + 1, col }, source: parts.join("\n") };
}
