import MarkdownIt, { type Options } from "markdown-it";
import type StateBlock from "markdown-it/lib/rules_block/state_block.mjs";
import type Token from "markdown-it/lib/token.mjs";
import { RunbookError } from "../model/errors.ts";
import type { SourcePos } from "../model/runbook.ts";

/** A GitBook/Liquid tag standing on a line of its own: `{% hint style="info" %}`, `{% page-ref page="x.md" %}`. */
export interface TagLine {
  tag: "hint" | "endhint" | "include";
  /** hint: the style; include: the path. */
  arg: string;
  pos: SourcePos;
}

interface BlockBase {
  /** Where the block's first character stands. */
  pos: SourcePos;
  /** The block as written: from its first character to the end of its last line. */
  source: string;
}

/** A top-level block of the document, in the terms the runbook format needs. */
export type Block =
  | (BlockBase & { kind: "heading"; depth: number; title: string })
  | (BlockBase & {
      kind: "code";
      /** A fenced block (``` or ~~~); an indented code block is not. */
      fenced: boolean;
      /** The first word of the info string, and the rest (Markdown escapes removed), as CommonMark reads them. */
      lang: string;
      meta: string;
      /** The code, without the line ending before the closing fence. */
      value: string;
      /** False for a fence that runs to the end of the document (reported in `errors`). */
      closed: boolean;
    })
  | (BlockBase & { kind: "blockquote"; nested: RunbookError[] })
  /** Paragraphs, lists, tables, HTML, rules, link definitions: prose. */
  | (BlockBase & { kind: "other"; nested: RunbookError[] });

export interface MarkdownSource {
  file: string;
  /** The document's lines (line endings normalised, GitBook tag lines blanked). */
  lines: string[];
  /** The YAML between the `---` lines at the very top, and the file line of its first line. */
  frontMatter?: { text: string; line: number };
  /** Top-level blocks and tags, in document order. */
  items: ({ kind: "tag"; tag: TagLine } | Block)[];
  /** Problems of the Markdown itself (unclosed fences, bad tags, nesting too deep), in document order. */
  errors: RunbookError[];
}

const TAG = /^\s*\{%-?\s*(hint|endhint|page-ref|include)\b(.*?)-?%\}\s*$/;
const FRONT_FENCE = /^---[ \t]*$/;

/**
 * How deep lists and block quotes may nest (in markdown-it's levels: a quote is one, a list two).
 * Deeper content would be dropped silently, so it is an error instead; markdown-it's own limit
 * (maxNesting) stays above it as a guard against exhausting the stack.
 */
export const MAX_NESTING = 64;

const md = createParser();

function createParser(): MarkdownIt {
  // CommonMark as the old parser read it: no tables, no strikethrough, no typographer.
  // (maxNesting is an option of markdown-it that its type declarations leave out.)
  const options: Options & { maxNesting: number } = { maxNesting: MAX_NESTING + 16 };
  const parser = new MarkdownIt("commonmark", options);
  // Only block structure is needed; the inline content of headings is parsed on its own (headingTitle).
  parser.core.ruler.disable("inline");
  parser.block.ruler.before("table", "runbook_nesting", tooDeep);
  // An autolink's text as written (markdown-it would decode %20 and punycode for display).
  parser.normalizeLinkText = (url) => url;
  return parser;
}

interface Env {
  /** 0-based lines where content nested deeper than MAX_NESTING starts. */
  tooDeep?: number[];
  references?: unknown;
}

/** A block rule that runs first: beyond the limit, the rest of the container is skipped and reported. */
function tooDeep(state: StateBlock, startLine: number, endLine: number): boolean {
  if (state.level < MAX_NESTING) return false;
  const env = state.env as Env;
  env.tooDeep ??= [];
  env.tooDeep.push(startLine);
  state.line = endLine;
  return true;
}

/**
 * Parses Markdown with a CommonMark parser (markdown-it). Front matter and GitBook tags are line-level
 * syntax the parser does not know: the front matter's lines and the lines holding only a tag are blanked
 * (keeping every other position) before the final parse, and returned beside the blocks.
 */
export function readMarkdown(file: string, raw: string): MarkdownSource {
  const text = raw
    .replace(/^\uFEFF/, "")
    .replace(/\r\n?/g, "\n")
    .replace(/\0/g, "\uFFFD");
  const lines = text.split("\n");
  const errors: RunbookError[] = [];
  let frontMatter: MarkdownSource["frontMatter"];
  if (FRONT_FENCE.test(lines[0] ?? "")) {
    let close = 1;
    while (close < lines.length && !FRONT_FENCE.test(lines[close] as string)) close++;
    if (close < lines.length) {
      frontMatter = { text: lines.slice(1, close).join("\n"), line: 2 };
      for (let i = 0; i <= close; i++) lines[i] = "";
    }
  }

  let env: Env = {};
  let tokens = md.parse(lines.join("\n"), env);
  // Unclosed fences are found in the first parse, before tags are taken out.
  const fenced = new Uint8Array(lines.length + 1);
  for (const t of tokens) {
    if (t.type !== "fence" || !t.map) continue;
    if (!fenceClosed(lines, t)) errors.push(unclosed(file, lines, t));
    if (t.level === 0) fenced.fill(1, t.map[0], t.map[1]);
  }
  for (const t of tokens)
    if (t.level === 0 && t.map && t.type === "code_block") fenced.fill(1, t.map[0], t.map[1]);
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
  if (blanked) {
    env = {};
    tokens = md.parse(lines.join("\n"), env);
  }
  for (const line of env.tooDeep ?? []) {
    errors.push(
      new RunbookError(
        "bad-attribute",
        `lists and block quotes are nested too deeply here (more than ${MAX_NESTING} levels, a list counting two)`,
        { file, line: line + 1, col: firstCol(lines[line] ?? "") },
        "flatten the list or quote: what is nested deeper would not be read",
      ),
    );
  }

  const blocks = topLevelBlocks(file, lines, tokens, env);
  const items: MarkdownSource["items"] = [];
  let t = 0;
  for (const block of blocks) {
    while (t < tags.length && (tags[t] as TagLine).pos.line < block.pos.line) {
      items.push({ kind: "tag", tag: tags[t++] as TagLine });
    }
    items.push(block);
  }
  while (t < tags.length) items.push({ kind: "tag", tag: tags[t++] as TagLine });
  errors.sort((a, b) => (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.col ?? 0) - (b.pos?.col ?? 0));
  return { file, lines, frontMatter, items, errors };
}

function firstCol(line: string): number {
  const m = /\S/.exec(line);
  return m ? m.index + 1 : 1;
}

/** The blocks at the top of the document, each with its position and its text as written. */
function topLevelBlocks(file: string, lines: string[], tokens: Token[], env: Env): Block[] {
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

/**
 * A fence's info string as CommonMark reads it: the first word is the language, the rest the meta
 * (here the attributes); backslash escapes and character references are decoded in each.
 */
function splitInfo(info: string): { lang: string; meta: string } {
  const trimmed = info.replace(/^[ \t]+/, "");
  const m = /^[^ \t]*/.exec(trimmed);
  const lang = m?.[0] ?? "";
  const meta = trimmed.slice(lang.length).replace(/^[ \t]+|[ \t]+$/g, "");
  return { lang: md.utils.unescapeAll(lang), meta: md.utils.unescapeAll(meta) };
}

/**
 * A heading's text as plain text: code spans, emphasis and links reduced to their text, escapes and
 * entities decoded (what mdast-util-to-string gave). Only headings need inline parsing.
 */
function headingTitle(content: string, env: Env): string {
  const children: Token[] = [];
  md.inline.parse(content, md, env, children);
  let out = "";
  // Images nest their alt text as children: walk with an explicit stack.
  const stack: { list: Token[]; at: number }[] = [{ list: children, at: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as { list: Token[]; at: number };
    const tok = top.list[top.at++];
    if (!tok) {
      stack.pop();
      continue;
    }
    switch (tok.type) {
      case "text":
      case "text_special":
      case "code_inline":
      case "html_inline":
        out += tok.content;
        break;
      case "softbreak":
        out += "\n";
        break;
      case "image":
        if (tok.children) stack.push({ list: tok.children, at: 0 });
        break;
    }
  }
  return out;
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

function fencePos(file: string, lines: string[], tok: Token): SourcePos {
  const [start] = tok.map as [number, number];
  const line = lines[start] ?? "";
  return { file, line: start + 1, col: Math.max(line.indexOf(tok.markup), 0) + 1 };
}

/** CommonMark lets an unclosed fence run to the end of the file (or of its list item); for a runbook that is always a mistake. */
function fenceClosed(lines: string[], tok: Token): boolean {
  const [start, end] = tok.map as [number, number];
  const open = tok.markup;
  // Inside a block quote every line after the first still carries its `>` markers.
  const last = (lines[end - 1] ?? "").replace(/^[\s>]*/, "").trim();
  return end - start > 1 && last.startsWith(open) && /^(`+|~+)$/.test(last) && last[0] === open[0];
}

function unclosed(file: string, lines: string[], tok: Token): RunbookError {
  return new RunbookError(
    "unterminated-fence",
    `code block opened with ${tok.markup} is never closed`,
    fencePos(file, lines, tok),
    `close it with a line of ${tok.markup} (everything after it was being read as code)`,
  );
}

/** Only top-level fences are actions: one with attributes inside a list or a quote would be shown as prose and never run. */
function nestedAction(file: string, lines: string[], tok: Token): RunbookError {
  return new RunbookError(
    "bad-attribute",
    "an action inside a list or a quote is never run",
    fencePos(file, lines, tok),
    "move the block to the start of the line, outside the list or quote",
  );
}
