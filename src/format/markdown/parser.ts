import MarkdownIt, { type Options } from "markdown-it";
import type StateBlock from "markdown-it/lib/rules_block/state_block.mjs";
import type Token from "markdown-it/lib/token.mjs";

/**
 * How deep lists and block quotes may nest (in markdown-it's levels: a quote is one, a list two).
 * Deeper content would be dropped silently, so it is an error instead; markdown-it's own limit
 * (maxNesting) stays above it as a guard against exhausting the stack.
 */
export const MAX_NESTING = 64;

export const md = createParser();

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

export interface Env {
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
 * A fence's info string as CommonMark reads it: the first word is the language, the rest the meta
 * (here the attributes); backslash escapes and character references are decoded in each.
 */
export function splitInfo(info: string): { lang: string; meta: string } {
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
export function headingTitle(content: string, env: Env): string {
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
