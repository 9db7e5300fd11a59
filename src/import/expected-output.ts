// Lines a document shows under a command: which of them can be waited for or expected.

const TIMESTAMPED = /^\[?\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|^\[?\d{1,2}:\d{2}/;

/**
 * The line of output a run can look for: the elision (`...`) taken off; none for a timestamped log line
 * (its time is the document's, not the run's) or a line of only punctuation.
 */
export function usableLine(text: string): string | undefined {
  const t = text
    .trim()
    .replace(/\s*(\.{3,}|…+)\s*$/, "")
    .trim();
  if (t.length < 3 || TIMESTAMPED.test(t) || !/[\p{L}\p{N}]/u.test(t) || t.includes("{{")) return undefined;
  return t;
}

/** A line that tells how long or how many this time (`added 12 packages in 3s`): no line to expect. */
export function varies(text: string): boolean {
  return /\b\d+(\.\d+)?\s?(ms|s|secs?|seconds?|m|mins?|minutes?|h|hours?)\b/i.test(text);
}

/** A literal line as a regular expression that matches only itself. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** A literal in single quotes for the shell. */
export function singleQuoted(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
