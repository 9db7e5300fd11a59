import { RunbookError } from "../model/errors.ts";
import type { SourcePos } from "../model/runbook.ts";

/** What to do about a bad pattern in an attribute: the Markdown info string eats one backslash. */
export const REGEX_HINT =
  "escape special characters such as ( [ . with a backslash, written \\\\ in a fence's attributes (Markdown removes one before punctuation)";

/** A regular expression attribute that does not compile; one with `{{ }}` is checked once filled in. */
export function regexProblem(
  value: string | undefined,
  pos: SourcePos,
  key: string,
): RunbookError | undefined {
  if (value === undefined || value.includes("{{")) return undefined;
  try {
    new RegExp(value);
    return undefined;
  } catch (e) {
    return new RunbookError(
      "bad-attribute",
      `${key}= is not a valid regular expression: ${(e as Error).message}`,
      pos,
      REGEX_HINT,
    );
  }
}
