import { RunbookError } from "../model/errors.ts";
import type { SourcePos } from "../model/runbook.ts";

export interface Attribute {
  key: string;
  /** `true` for a bare flag such as `background`. */
  value: string | true;
  pos: SourcePos;
}

export interface AttributeList {
  id?: string;
  attrs: Attribute[];
}

/**
 * Parses the `{#id key=value key="quoted value" flag}` part of a fence info string or heading.
 * `text` starts at `{`; `pos` is where that brace stands in the file.
 */
export function parseAttributes(text: string, pos: SourcePos): AttributeList {
  const at = (i: number): SourcePos => ({ file: pos.file, line: pos.line, col: pos.col + i });
  if (!text.startsWith("{")) {
    throw new RunbookError(
      "bad-attribute",
      "attributes must be written in braces",
      pos,
      'write {on=role key="value"}',
    );
  }
  const close = findClosingBrace(text);
  if (close < 0) {
    throw new RunbookError("bad-attribute", "attribute list is not closed with }", pos, "add the missing }");
  }
  const trailing = text.slice(close + 1).trim();
  if (trailing !== "") {
    throw new RunbookError(
      "bad-attribute",
      `unexpected text after the attribute list: ${JSON.stringify(trailing)}`,
      at(close + 1),
      "put every attribute inside the braces",
    );
  }
  const result: AttributeList = { attrs: [] };
  // Sticky patterns read at `i` without copying the rest of the list (a long list stays linear).
  const ID = /#([A-Za-z0-9][A-Za-z0-9_.-]*)/y;
  const KEY = /[A-Za-z][A-Za-z0-9_-]*/y;
  const BARE = /(?:\{\{[^{}\s]*\}\}|[^\s"'}])*/y;
  const at0 = (re: RegExp, from: number): RegExpExecArray | null => {
    re.lastIndex = from;
    const m = re.exec(text);
    if (!m || m.index + m[0].length <= close) return m;
    // Past the closing brace: read the list alone, as the pattern would have.
    return new RegExp(`^(?:${re.source})`).exec(text.slice(from, close));
  };
  let i = 1;
  while (i < close) {
    const c = text[i] ?? "";
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "#") {
      const m = at0(ID, i);
      if (!m?.[1]) {
        throw new RunbookError(
          "bad-attribute",
          "an id after # must start with a letter or digit",
          at(i),
          "write {#my-step}",
        );
      }
      result.id = m[1];
      i += m[0].length;
      continue;
    }
    const km = at0(KEY, i);
    if (!km) {
      throw new RunbookError(
        "bad-attribute",
        `unexpected ${JSON.stringify(c)} in the attribute list`,
        at(i),
        'attributes are key=value, key="value with spaces" or a bare flag',
      );
    }
    const key = km[0];
    i += key.length;
    if (text[i] !== "=") {
      result.attrs.push({ key, value: true, pos: at(start) });
      continue;
    }
    i++;
    const q = text[i];
    if (q === '"' || q === "'") {
      let value = "";
      let j = i + 1;
      for (; j < close && text[j] !== q; j++) {
        if (text[j] === "\\" && (text[j + 1] === q || text[j + 1] === "\\")) j++;
        value += text[j];
      }
      if (j >= close) {
        throw new RunbookError(
          "bad-attribute",
          `the quoted value of ${key} is not closed`,
          at(i),
          `close it with ${q}`,
        );
      }
      result.attrs.push({ key, value, pos: at(start) });
      i = j + 1;
    } else {
      // Unquoted: up to a space, a quote or the closing brace; a {{ variable }} without spaces may be part of it.
      const vm = at0(BARE, i);
      const value = vm?.[0] ?? "";
      if (value === "") {
        throw new RunbookError(
          "bad-attribute",
          `${key}= has no value`,
          at(start),
          `write ${key}=value or remove it`,
        );
      }
      result.attrs.push({ key, value, pos: at(start) });
      i += value.length;
    }
  }
  return result;
}

/** Index of the `}` closing the list, skipping quoted values and `{{ }}` templates. */
function findClosingBrace(text: string): number {
  let quote: string | undefined;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "{") depth++;
    else if (c === "}") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}
