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
  const reader = new ListReader(text, pos, close);
  const trailing = text.slice(close + 1).trim();
  if (trailing !== "") {
    throw new RunbookError(
      "bad-attribute",
      `unexpected text after the attribute list: ${JSON.stringify(trailing)}`,
      reader.at(close + 1),
      "put every attribute inside the braces",
    );
  }
  return reader.read();
}

// Sticky patterns read at `i` without copying the rest of the list (a long list stays linear).
const ID = /#([A-Za-z0-9][A-Za-z0-9_.-]*)/y;
const KEY = /[A-Za-z][A-Za-z0-9_-]*/y;
const BARE = /(?:\{\{[^{}\s]*\}\}|[^\s"'}])*/y;

/** Reads the entries between the braces one at a time: `#id`, `key`, `key=value`, `key="value"`. */
class ListReader {
  private readonly result: AttributeList = { attrs: [] };
  private i = 1;

  constructor(
    private readonly text: string,
    private readonly pos: SourcePos,
    /** Index of the closing brace. */
    private readonly close: number,
  ) {}

  at(i: number): SourcePos {
    return { file: this.pos.file, line: this.pos.line, col: this.pos.col + i };
  }

  read(): AttributeList {
    while (this.i < this.close) {
      const c = this.text[this.i] ?? "";
      if (/\s/.test(c)) this.i++;
      else if (c === "#") this.readId();
      else this.readAttribute(c);
    }
    return this.result;
  }

  /** `re` matched at `from`, as if the list ended at its closing brace. */
  private match(re: RegExp, from: number): RegExpExecArray | null {
    re.lastIndex = from;
    const m = re.exec(this.text);
    if (!m || m.index + m[0].length <= this.close) return m;
    // Past the closing brace: read the list alone, as the pattern would have.
    return new RegExp(`^(?:${re.source})`).exec(this.text.slice(from, this.close));
  }

  private readId(): void {
    const m = this.match(ID, this.i);
    if (!m?.[1]) {
      throw new RunbookError(
        "bad-attribute",
        "an id after # must start with a letter or digit",
        this.at(this.i),
        "write {#my-step}",
      );
    }
    this.result.id = m[1];
    this.i += m[0].length;
  }

  private readAttribute(c: string): void {
    const start = this.i;
    const km = this.match(KEY, this.i);
    if (!km) {
      throw new RunbookError(
        "bad-attribute",
        `unexpected ${JSON.stringify(c)} in the attribute list`,
        this.at(this.i),
        'attributes are key=value, key="value with spaces" or a bare flag',
      );
    }
    const key = km[0];
    this.i += key.length;
    if (this.text[this.i] !== "=") {
      this.result.attrs.push({ key, value: true, pos: this.at(start) });
      return;
    }
    this.i++;
    const q = this.text[this.i];
    const value = q === '"' || q === "'" ? this.readQuoted(key, q) : this.readBare(key, start);
    this.result.attrs.push({ key, value, pos: this.at(start) });
  }

  private readQuoted(key: string, q: string): string {
    const { text, close } = this;
    let value = "";
    let j = this.i + 1;
    for (; j < close && text[j] !== q; j++) {
      if (text[j] === "\\" && (text[j + 1] === q || text[j + 1] === "\\")) j++;
      value += text[j];
    }
    if (j >= close) {
      throw new RunbookError(
        "bad-attribute",
        `the quoted value of ${key} is not closed`,
        this.at(this.i),
        `close it with ${q}`,
      );
    }
    this.i = j + 1;
    return value;
  }

  /** Unquoted: up to a space, a quote or the closing brace; a {{ variable }} without spaces may be part of it. */
  private readBare(key: string, start: number): string {
    const vm = this.match(BARE, this.i);
    const value = vm?.[0] ?? "";
    if (value === "") {
      throw new RunbookError(
        "bad-attribute",
        `${key}= has no value`,
        this.at(start),
        `write ${key}=value or remove it`,
      );
    }
    this.i += value.length;
    return value;
  }
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
