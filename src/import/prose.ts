// Prose of the document made safe to stand in a runbook: nothing in it may be read as runbook syntax.

/**
 * `{{` would be read as a runbook variable (and an unknown one is an error): written `{ {`. A fence
 * with attributes in the document's prose (inside a list) would be refused as an action that never
 * runs: its attributes are dropped. GitBook's empty bold markers (`\*\*\*\*`) are taken out.
 */
export function safeProse(text: string): string {
  return text
    .replace(/\\\*\\\*\\\*\\\*/g, "")
    .replace(/\{\{/g, "{ {")
    .split("\n")
    .map((l) => l.replace(/^(\s*(?:[-*+>]\s*|\d{1,9}[.)]\s*)*)(`{3,}|~{3,})([^{`]*)\{.*$/, "$1$2$3"))
    .join("\n");
}

/** Text on one line for a heading or a YAML value. */
export function oneLine(text: string): string {
  return safeProse(text).replace(/\s+/g, " ").trim();
}

/** A fenced code block that no line of `code` can close early. */
export function fenced(lang: string, code: string, char: "`" | "~" = "`"): string {
  const runs = char === "`" ? code.matchAll(/`+/g) : code.matchAll(/~+/g);
  const longest = Math.max(2, ...[...runs].map((m) => m[0].length));
  const fence = char.repeat(longest + 1);
  return `${fence}${lang}\n${code}\n${fence}`;
}
