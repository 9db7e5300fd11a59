import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
  type YAMLMap,
} from "yaml";
import { RunbookError } from "../model/errors.ts";
import type { Scalar, SourcePos } from "../model/runbook.ts";
import { didYouMean } from "./suggest.ts";
import { parseOnce } from "./yaml-parse-once.ts";

/**
 * A YAML document with positions, shared by the front matter and inventory readers so both report
 * `file:line:col` for every mistake. `lineOffset` is the file line where the YAML text begins.
 */
export class YamlSource {
  private readonly counter: LineCounter;
  private readonly doc: Document;
  readonly root: Node | null;
  /** What each alias stands for (see walk). */
  private readonly aliases: Map<Alias, Node>;
  /** Entries that `<<` merges may still produce: a few lines of aliases can otherwise expand exponentially. */
  private mergeBudget = MERGE_BUDGET;

  /**
   * `problems`: where unknown keys go when the caller reports every problem at once (they are then
   * skipped); without it the first one is thrown.
   */
  constructor(
    readonly file: string,
    text: string,
    private readonly lineOffset = 1,
    private readonly problems?: RunbookError[],
  ) {
    const deep = tooDeep(text);
    if (deep !== undefined) {
      throw new RunbookError(
        "yaml",
        `the YAML nests more than ${MAX_DEPTH} levels deep`,
        { file, line: lineOffset + lineOf(text, deep), col: 1 },
        "flatten the lists and mappings: nothing here needs that many levels",
      );
    }
    const { doc, counter } = parseOnce(text);
    this.counter = counter;
    this.doc = doc;
    this.root = doc.contents as Node | null;
    this.aliases = new Map();
    const repeated = this.walk(this.aliases);
    const first = doc.errors[0];
    // The first problem in the text, as yaml would have reported it with its own check of keys.
    if (repeated && (!first || (repeated.range?.[0] ?? 0) < first.pos[0])) {
      throw new RunbookError(
        "yaml",
        "invalid YAML: Map keys must be unique",
        this.nodePos(repeated),
        yamlHint("DUPLICATE_KEY"),
      );
    }
    if (first) {
      throw new RunbookError(
        "yaml",
        `invalid YAML: ${first.message.split("\n")[0]}`,
        this.posOf(first.pos[0]),
        yamlHint(first.code),
      );
    }
  }

  /**
   * One walk of the document, in document order (pre-order, keys before values) and without recursion:
   * what each alias stands for (the last node before it with its anchor, as yaml's Alias.resolve, which
   * walks the whole document per alias), and the key, first in the text, that repeats
   * another key of its mapping.
   */
  private walk(aliases: Map<Alias, Node>): Node | undefined {
    const anchored = new Map<string, Node>();
    let repeated: Node | undefined;
    const stack: unknown[] = [this.doc.contents];
    while (stack.length > 0) {
      const n = stack.pop();
      if (isPair(n)) {
        stack.push(n.value, n.key);
        continue;
      }
      if (isAlias(n)) {
        const target = anchored.get(n.source);
        if (target) aliases.set(n, target);
        continue;
      }
      if (!(isScalar(n) || isMap(n) || isSeq(n))) continue;
      if (n.anchor) anchored.set(n.anchor, n);
      if (isMap(n)) {
        const keys = new Set<unknown>();
        for (const pair of n.items) {
          const k = pair.key;
          if (!isScalar(k)) continue;
          if (keys.has(k.value)) {
            if (!repeated || (k.range?.[0] ?? 0) < (repeated.range?.[0] ?? 0)) repeated = k as Node;
            break;
          }
          keys.add(k.value);
        }
      }
      if (isMap(n) || isSeq(n)) for (let i = n.items.length - 1; i >= 0; i--) stack.push(n.items[i]);
    }
    return repeated;
  }

  /** An alias (`*base`) stands for the node its anchor (`&base`) names. */
  private deref(node: Node | null | undefined): Node | null | undefined {
    for (let i = 0; i < 64 && node && isAlias(node); i++) node = this.aliasTarget(node);
    return node;
  }

  private aliasTarget(alias: Alias): Node | undefined {
    return this.aliases.get(alias);
  }

  posOf(offset: number): SourcePos {
    const lp = this.counter.linePos(offset);
    return { file: this.file, line: lp.line + this.lineOffset - 1, col: lp.col };
  }

  nodePos(node: Node | null | undefined): SourcePos {
    return this.posOf(node?.range?.[0] ?? 0);
  }

  /** The entries of a mapping, each key checked against `allowed` (when given). */
  entries(
    node: Node | null | undefined,
    what: string,
    allowed?: readonly string[],
    depth = 0,
  ): [string, Node | null, SourcePos][] {
    const at = node;
    if (depth > 32) {
      throw new RunbookError(
        "yaml",
        `${what}: merges (<<) nest too deep, or refer to themselves`,
        this.nodePos(at),
      );
    }
    node = this.deref(node);
    // `key:` with nothing after it is a null scalar: an empty mapping.
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return [];
    if (!isMap(node)) {
      throw new RunbookError("front-matter", `${what} must be a mapping of name: value`, this.nodePos(at));
    }
    const own: [string, Node | null, SourcePos][] = [];
    const merged: [string, Node | null, SourcePos][] = [];
    for (const pair of (node as YAMLMap<Node, Node | null>).items) {
      const key = pair.key;
      const name = isScalar(key) ? String(key.value) : "";
      // `<<: *base` (or a list of them) merges the entries of another mapping, as Ansible reads it.
      if (name === "<<") {
        const value = this.deref(pair.value);
        const sources = isSeq(value) ? (value.items as Node[]) : [value];
        for (const src of sources) {
          const more = this.entries(src, what, allowed, depth + 1);
          this.mergeBudget -= more.length;
          if (this.mergeBudget < 0) {
            throw new RunbookError(
              "yaml",
              `${what}: merges (<<) expand to more than ${MERGE_BUDGET} entries`,
              this.nodePos(at),
              "merge each mapping once; aliases that merge aliases multiply",
            );
          }
          for (const e of more) merged.push(e);
        }
        continue;
      }
      const e = this.entry(name, key, pair.value ?? null, what, allowed);
      if (e) own.push(e);
    }
    const names = new Set(own.map(([n]) => n));
    return [...merged.filter(([n]) => !names.has(n)), ...own];
  }

  private entry(
    name: string,
    key: Node,
    value: Node | null,
    what: string,
    allowed?: readonly string[],
  ): [string, Node | null, SourcePos] | undefined {
    const pos = this.nodePos(key);
    if (allowed && !allowed.includes(name)) {
      const e = new RunbookError(
        "unknown-key",
        `unknown key "${name}" in ${what}`,
        pos,
        didYouMean(name, allowed) ?? `allowed keys: ${allowed.join(", ")}`,
      );
      if (!this.problems) throw e;
      this.problems.push(e);
      return undefined;
    }
    return [name, this.deref(value) ?? null, pos];
  }

  string(node: Node | null, what: string): string {
    node = this.deref(node) ?? null;
    if (isScalar(node) && (typeof node.value === "string" || typeof node.value === "number")) {
      return String(node.value);
    }
    throw new RunbookError("front-matter", `${what} must be text`, this.nodePos(node));
  }

  /** Text only: a number or true/false where a name or a path belongs is a mistake, not a value. */
  text(node: Node | null, what: string, hint?: string): string {
    node = this.deref(node) ?? null;
    if (isScalar(node) && typeof node.value === "string") return node.value;
    const got = isScalar(node)
      ? node.value === null
        ? "nothing"
        : `${typeof node.value} ${String(node.value)}`
      : "not text";
    throw new RunbookError("inventory", `${what} must be text, not ${got}`, this.nodePos(node), hint);
  }

  scalar(node: Node | null, what: string): Scalar {
    node = this.deref(node) ?? null;
    if (isScalar(node) && ["string", "number", "boolean"].includes(typeof node.value)) {
      return node.value as Scalar;
    }
    throw new RunbookError(
      "front-matter",
      `${what} must be text, a number or true/false`,
      this.nodePos(node),
    );
  }

  bool(node: Node | null, what: string): boolean {
    node = this.deref(node) ?? null;
    if (isScalar(node) && typeof node.value === "boolean") return node.value;
    throw new RunbookError("front-matter", `${what} must be true or false`, this.nodePos(node));
  }

  stringList(node: Node | null, what: string): string[] {
    node = this.deref(node) ?? null;
    if (isSeq(node)) return node.items.map((item) => this.string(item as Node, `each item of ${what}`));
    throw new RunbookError("front-matter", `${what} must be a list such as [a, b]`, this.nodePos(node));
  }
}

export { isMap, isScalar, isSeq };

/** Nesting (flow brackets and block indentation together) beyond which YAML is refused before parsing. */
const MAX_DEPTH = 200;
const MERGE_BUDGET = 100_000;

/**
 * The offset where the text nests deeper than MAX_DEPTH, if it does: the YAML parser recurses per level
 * and would exhaust the stack on `[[[[...`. Brackets inside quoted scalars and comments are skipped.
 */
function tooDeep(text: string): number | undefined {
  let flow = 0;
  /** Columns of the block collections open at the start of the current line. */
  const indents: number[] = [];
  const open = (col: number) => {
    while (indents.length > 0 && (indents[indents.length - 1] as number) >= col) indents.pop();
    indents.push(col);
  };
  let lineStart = true;
  let col = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "\n") {
      lineStart = true;
      col = 0;
      continue;
    }
    if (lineStart) {
      if (c === " " || c === "\t") {
        col++;
        continue;
      }
      if (flow === 0 && c === "-" && (text[i + 1] === " " || text[i + 1] === "\t")) {
        // `- - - x`: each dash opens a sequence inside the one before, on one line.
        open(col);
        col++;
        if (indents.length > MAX_DEPTH) return i;
        continue;
      }
      lineStart = false;
      if (c !== "#" && flow === 0) open(col);
    }
    if (c === "#" && (i === 0 || /\s/.test(text[i - 1] as string))) {
      const nl = text.indexOf("\n", i);
      i = (nl < 0 ? text.length : nl) - 1;
      continue;
    }
    if ((c === '"' || c === "'") && (i === 0 || /[\s[{,:-]/.test(text[i - 1] as string))) {
      // A quoted scalar: skip to its end (a doubled ' or a \" does not end it).
      let j = i + 1;
      for (; j < text.length; j++) {
        if (c === '"' && text[j] === "\\") j++;
        else if (text[j] === c) {
          if (c === "'" && text[j + 1] === "'") j++;
          else break;
        }
      }
      i = j;
      continue;
    }
    if (c === "[" || c === "{") flow++;
    else if ((c === "]" || c === "}") && flow > 0) flow--;
    if (flow + indents.length > MAX_DEPTH) return i;
  }
  return undefined;
}

function lineOf(text: string, offset: number): number {
  let line = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

function yamlHint(code: string): string {
  switch (code) {
    case "DUPLICATE_KEY":
      return "remove or rename the repeated key";
    case "BAD_INDENT":
    case "MISSING_CHAR":
      return "check the indentation and the colons of this line";
    default:
      return "fix the YAML at this line (quote values containing : or #)";
  }
}
