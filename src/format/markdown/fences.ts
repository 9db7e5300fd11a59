import type Token from "markdown-it/lib/token.mjs";
import { RunbookError } from "../../model/errors.ts";
import type { SourcePos } from "../../model/runbook.ts";

export function fencePos(file: string, lines: string[], tok: Token): SourcePos {
  const [start] = tok.map as [number, number];
  const line = lines[start] ?? "";
  return { file, line: start + 1, col: Math.max(line.indexOf(tok.markup), 0) + 1 };
}

/** CommonMark lets an unclosed fence run to the end of the file (or of its list item); for a runbook that is always a mistake. */
export function fenceClosed(lines: string[], tok: Token): boolean {
  const [start, end] = tok.map as [number, number];
  const open = tok.markup;
  // Inside a block quote every line after the first still carries its `>` markers.
  const last = (lines[end - 1] ?? "").replace(/^[\s>]*/, "").trim();
  return end - start > 1 && last.startsWith(open) && /^(`+|~+)$/.test(last) && last[0] === open[0];
}

export function unclosed(file: string, lines: string[], tok: Token): RunbookError {
  return new RunbookError(
    "unterminated-fence",
    `code block opened with ${tok.markup} is never closed`,
    fencePos(file, lines, tok),
    `close it with a line of ${tok.markup} (everything after it was being read as code)`,
  );
}

/** Only top-level fences are actions: one with attributes inside a list or a quote would be shown as prose and never run. */
export function nestedAction(file: string, lines: string[], tok: Token): RunbookError {
  return new RunbookError(
    "bad-attribute",
    "an action inside a list or a quote is never run",
    fencePos(file, lines, tok),
    "move the block to the start of the line, outside the list or quote",
  );
}
