import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type YAMLMap,
} from "yaml";
import { RunbookError } from "../model/errors.ts";
import type { Scalar, SourcePos } from "../model/runbook.ts";
import { didYouMean } from "./suggest.ts";

/**
 * A YAML document with positions, shared by the front matter and inventory readers so both report
 * `file:line:col` for every mistake. `lineOffset` is the file line where the YAML text begins.
 */
export class YamlSource {
  private readonly counter = new LineCounter();
  private readonly doc: Document;
  readonly root: Node | null;

  constructor(
    readonly file: string,
    text: string,
    private readonly lineOffset = 1,
  ) {
    const doc = parseDocument(text, { lineCounter: this.counter, prettyErrors: false, uniqueKeys: true });
    this.doc = doc;
    const first = doc.errors[0];
    if (first) {
      const [off] = first.pos;
      const p = this.posOf(off);
      throw new RunbookError(
        "yaml",
        `invalid YAML: ${first.message.split("\n")[0]}`,
        p,
        yamlHint(first.code),
      );
    }
    this.root = doc.contents as Node | null;
  }

  /** An alias (`*base`) stands for the node its anchor (`&base`) names. */
  private deref(node: Node | null | undefined): Node | null | undefined {
    for (let i = 0; i < 64 && node && isAlias(node); i++) node = node.resolve(this.doc) as Node | undefined;
    return node;
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
        for (const src of sources) merged.push(...this.entries(src, what, allowed, depth + 1));
        continue;
      }
      own.push(this.entry(name, key, pair.value ?? null, what, allowed));
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
  ): [string, Node | null, SourcePos] {
    const pos = this.nodePos(key);
    if (allowed && !allowed.includes(name)) {
      throw new RunbookError(
        "unknown-key",
        `unknown key "${name}" in ${what}`,
        pos,
        didYouMean(name, allowed) ?? `allowed keys: ${allowed.join(", ")}`,
      );
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
