import type { Finding } from "./model.ts";

/** `DOC.md:42: inferred: …` / `DOC.md:42: not inferred: …`, in document order. */
export function formatFindings(findings: Finding[], doc: string): string {
  return [...findings]
    .sort((a, b) => a.line - b.line)
    .map((f) => `${doc}:${f.line}: ${f.kind === "inferred" ? "inferred" : "not inferred"}: ${f.text}\n`)
    .join("");
}
