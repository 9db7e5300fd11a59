import { RunbookError } from "../model/errors.ts";
import type { SourcePos } from "../model/runbook.ts";

export type TemplateArg = { kind: "literal"; value: string | number } | { kind: "ref"; path: string[] };

export interface TemplateFilter {
  name: FilterName;
  args: TemplateArg[];
}

export interface TemplateExpr {
  path: string[];
  filters: TemplateFilter[];
  /** The text between the braces, for messages. */
  source: string;
  pos: SourcePos;
}

export type TemplatePart = { kind: "text"; text: string } | { kind: "expr"; expr: TemplateExpr };

export const FILTERS = ["addr", "join", "first", "default", "raw"] as const;
export type FilterName = (typeof FILTERS)[number];

const FILTER_ARITY: Record<FilterName, number> = { addr: 1, join: 1, first: 0, default: 1, raw: 0 };

/** Position of `offset` inside `text`, which starts at `base` in its file. */
export function posAt(text: string, offset: number, base: SourcePos): SourcePos {
  let line = base.line;
  let col = base.col;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  return { file: base.file, line, col };
}

/**
 * Positions of ever later offsets of `text`, each found from the one before: a text with many
 * `{{ }}` costs one pass, not one pass per expression.
 */
export function positionsIn(text: string, base: SourcePos): (offset: number) => SourcePos {
  let at = 0;
  let line = base.line;
  let col = base.col;
  return (offset) => {
    if (offset < at) {
      at = 0;
      line = base.line;
      col = base.col;
    }
    for (; at < offset && at < text.length; at++) {
      if (text.charCodeAt(at) === 10) {
        line++;
        col = 1;
      } else col++;
    }
    return { file: base.file, line, col };
  };
}

/** Splits text into literal runs and `{{ expr }}` parts. */
export function parseTemplate(text: string, base: SourcePos): TemplatePart[] {
  const parts: TemplatePart[] = [];
  const posOf = positionsIn(text, base);
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf("{{", i);
    if (open < 0) {
      parts.push({ kind: "text", text: text.slice(i) });
      break;
    }
    if (open > i) parts.push({ kind: "text", text: text.slice(i, open) });
    const close = text.indexOf("}}", open + 2);
    const pos = posOf(open);
    if (close < 0) {
      throw new RunbookError("bad-template", "a {{ is not closed with }}", pos, "close the variable with }}");
    }
    const source = text.slice(open + 2, close).trim();
    parts.push({ kind: "expr", expr: parseExpr(source, pos) });
    i = close + 2;
  }
  return parts;
}

/** Every expression in a text, for checks that do not render. */
export function templateExprs(text: string, base: SourcePos): TemplateExpr[] {
  return parseTemplate(text, base).flatMap((p) => (p.kind === "expr" ? [p.expr] : []));
}

/**
 * Every `{{ }}` of a text, for checks: each that cannot be read is an error and the scan goes on (a
 * `{{` never closed ends it). In `prose` mode (prose, notes, documentation blocks) text between the
 * braces that is not this project's syntax, such as Helm's `{{ .Values.x }}` or `{{ range $x }}`, and a
 * `{{` never closed, are text; an expression in this syntax is read and checked like any other.
 */
export function scanTemplates(
  text: string,
  base: SourcePos,
  mode: "strict" | "prose" = "strict",
): { exprs: TemplateExpr[]; errors: RunbookError[] } {
  const exprs: TemplateExpr[] = [];
  const errors: RunbookError[] = [];
  const posOf = positionsIn(text, base);
  let i = 0;
  for (;;) {
    const open = text.indexOf("{{", i);
    if (open < 0) break;
    const close = text.indexOf("}}", open + 2);
    if (close < 0) {
      if (mode === "strict") {
        errors.push(
          new RunbookError(
            "bad-template",
            "a {{ is not closed with }}",
            posOf(open),
            "close the variable with }}",
          ),
        );
      }
      break;
    }
    const source = text.slice(open + 2, close).trim();
    i = close + 2;
    if (mode === "prose" && !looksLikeTemplate(source)) continue;
    try {
      exprs.push(parseExpr(source, posOf(open)));
    } catch (e) {
      if (!(e instanceof RunbookError)) throw e;
      errors.push(e);
    }
  }
  return { exprs, errors };
}

const FILTER_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `name`, `a.b`, `name | filter`, `name | filter:arg`: the shape of this project's expressions. */
function looksLikeTemplate(source: string): boolean {
  const [head = "", ...filters] = splitOutsideQuotes(source, "|").map((s) => s.trim());
  const m = IDENT.exec(head);
  if (!m || m[0] !== head) return false;
  return filters.every((f) => FILTER_NAME.test((splitOutsideQuotes(f, ":")[0] ?? "").trim()));
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*/;

function parseExpr(source: string, pos: SourcePos): TemplateExpr {
  const segments = splitOutsideQuotes(source, "|").map((s) => s.trim());
  const head = segments[0] ?? "";
  const m = IDENT.exec(head);
  if (!m || m[0] !== head) {
    throw new RunbookError(
      "bad-template",
      `"{{ ${source} }}" does not name a variable`,
      pos,
      "write {{ name }} or {{ name | filter:arg }}",
    );
  }
  const filters: TemplateFilter[] = [];
  for (const seg of segments.slice(1)) {
    const [nameRaw = "", ...argParts] = splitOutsideQuotes(seg, ":");
    const name = nameRaw.trim();
    if (!(FILTERS as readonly string[]).includes(name)) {
      throw new RunbookError(
        "bad-template",
        `unknown filter "${name}" in {{ ${source} }}`,
        pos,
        `filters are ${FILTERS.join(", ")}`,
      );
    }
    const filterName = name as FilterName;
    const argText = argParts.join(":").trim();
    const args = argText === "" ? [] : [parseArg(argText, source, pos)];
    if (args.length !== FILTER_ARITY[filterName]) {
      throw new RunbookError(
        "bad-template",
        `filter "${name}" takes ${FILTER_ARITY[filterName]} argument(s) in {{ ${source} }}`,
        pos,
        filterName === "join"
          ? "write join:';'"
          : filterName === "addr"
            ? "write addr:9876"
            : `write ${name}`,
      );
    }
    filters.push({ name: filterName, args });
  }
  return { path: head.split("."), filters, source, pos };
}

function parseArg(text: string, source: string, pos: SourcePos): TemplateArg {
  const q = text[0];
  if ((q === "'" || q === '"') && text.endsWith(q) && text.length >= 2) {
    return { kind: "literal", value: text.slice(1, -1) };
  }
  if (/^-?\d+(\.\d+)?$/.test(text)) return { kind: "literal", value: Number(text) };
  const m = IDENT.exec(text);
  if (m && m[0] === text) return { kind: "ref", path: text.split(".") };
  throw new RunbookError(
    "bad-template",
    `cannot read the filter argument ${JSON.stringify(text)} in {{ ${source} }}`,
    pos,
    "quote text arguments: join:';'",
  );
}

function splitOutsideQuotes(text: string, sep: string): string[] {
  const out: string[] = [];
  let quote: string | undefined;
  let cur = "";
  for (const c of text) {
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === sep) {
      out.push(cur);
      cur = "";
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}
