import { type Document, LineCounter, parseDocument } from "yaml";

/**
 * Parsed documents by text: a fragment included by every runbook (the cluster layout) is parsed once
 * for a whole `runbook check`, not once per runbook that includes it. Documents are only read after
 * parsing, so sharing one is safe; the cache is small and is emptied when full.
 */
const parsed = new Map<string, { doc: Document; counter: LineCounter }>();
const PARSED_MAX = 64;

export function parseOnce(text: string): { doc: Document; counter: LineCounter } {
  let p = parsed.get(text);
  if (!p) {
    const counter = new LineCounter();
    // Keys are checked for repeats in YamlSource: yaml's own check compares each key with every other (quadratic).
    const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: false });
    p = { doc, counter };
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(text, p);
  }
  return p;
}
