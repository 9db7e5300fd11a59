import type Token from "markdown-it/lib/token.mjs";
import { RunbookError } from "../model/errors.ts";
import type { SourcePos } from "../model/runbook.ts";
import { fenceClosed, unclosed } from "./markdown/fences.ts";
import { takeTags } from "./markdown/gitbook-tags.ts";
import { type Env, MAX_NESTING, md } from "./markdown/parser.ts";
import { firstCol, topLevelBlocks } from "./markdown/top-level-blocks.ts";

export { MAX_NESTING } from "./markdown/parser.ts";

/** A GitBook/Liquid tag standing on a line of its own: `{% hint style="info" %}`, `{% page-ref page="x.md" %}`. */
export interface TagLine {
  tag: "hint" | "endhint" | "include";
  /** hint: the style; include: the path. */
  arg: string;
  pos: SourcePos;
}

export interface BlockBase {
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

const FRONT_FENCE = /^---[ \t]*$/;

/**
 * Parses Markdown with a CommonMark parser (markdown-it). Front matter and GitBook tags are line-level
 * syntax the parser does not know: the front matter's lines and the lines holding only a tag are blanked
 * (keeping every other position) before the final parse, and returned beside the blocks. The parser
 * itself is in `markdown/`: its set-up, the top-level blocks, fences, GitBook tags.
 */
export function readMarkdown(file: string, raw: string): MarkdownSource {
  // A fragment included by every runbook of a directory is read once per `runbook check` (the result
  // is only read by the walk, so it is shared).
  const key = `${file}\0${raw}`;
  const known = readOnce.get(key);
  if (known) return known;
  const read = readMarkdownNow(file, raw);
  if (readOnce.size >= READ_ONCE_MAX) readOnce.clear();
  readOnce.set(key, read);
  return read;
}

const readOnce = new Map<string, MarkdownSource>();
const READ_ONCE_MAX = 64;

function readMarkdownNow(file: string, raw: string): MarkdownSource {
  const text = raw
    .replace(/^\uFEFF/, "")
    .replace(/\r\n?/g, "\n")
    .replace(/\0/g, "\uFFFD");
  const lines = text.split("\n");
  const errors: RunbookError[] = [];
  const frontMatter = takeFrontMatter(lines);
  let env: Env = {};
  let tokens = md.parse(lines.join("\n"), env);
  // Unclosed fences are found in the first parse, before tags are taken out.
  const fenced = codeLines(file, lines, tokens, errors);
  const { tags, blanked } = takeTags(file, lines, fenced, errors);
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
  const items = inDocumentOrder(topLevelBlocks(file, lines, tokens, env), tags);
  errors.sort((a, b) => (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.col ?? 0) - (b.pos?.col ?? 0));
  return { file, lines, frontMatter, items, errors };
}

/** The YAML between `---` lines at the very top; its lines are blanked. None without a closing `---`. */
function takeFrontMatter(lines: string[]): MarkdownSource["frontMatter"] {
  if (!FRONT_FENCE.test(lines[0] ?? "")) return undefined;
  let close = 1;
  while (close < lines.length && !FRONT_FENCE.test(lines[close] as string)) close++;
  if (close >= lines.length) return undefined;
  const frontMatter = { text: lines.slice(1, close).join("\n"), line: 2 };
  for (let i = 0; i <= close; i++) lines[i] = "";
  return frontMatter;
}

/** 0-based lines of top-level code blocks, where a tag is code, not a tag; reports unclosed fences. */
function codeLines(file: string, lines: string[], tokens: Token[], errors: RunbookError[]): Uint8Array {
  const fenced = new Uint8Array(lines.length + 1);
  for (const t of tokens) {
    if (t.type !== "fence" || !t.map) continue;
    if (!fenceClosed(lines, t)) errors.push(unclosed(file, lines, t));
    if (t.level === 0) fenced.fill(1, t.map[0], t.map[1]);
  }
  for (const t of tokens)
    if (t.level === 0 && t.map && t.type === "code_block") fenced.fill(1, t.map[0], t.map[1]);
  return fenced;
}

/** Tags among the blocks, by line: a tag before a block's first line comes before it. */
function inDocumentOrder(blocks: Block[], tags: TagLine[]): MarkdownSource["items"] {
  const items: MarkdownSource["items"] = [];
  let t = 0;
  for (const block of blocks) {
    while (t < tags.length && (tags[t] as TagLine).pos.line < block.pos.line) {
      items.push({ kind: "tag", tag: tags[t++] as TagLine });
    }
    items.push(block);
  }
  while (t < tags.length) items.push({ kind: "tag", tag: tags[t++] as TagLine });
  return items;
}
