import type { FrameStack } from "./frames.ts";

/** Marks where the n-th `{{ }}` stands in the text given to `scanPlacements`. */
export const SLOT_OPEN = "\uE000";
export const SLOT_CLOSE = "\uE001";
export const slot = (n: number) => `${SLOT_OPEN}${n}${SLOT_CLOSE}`;

export type Placement =
  /** Unquoted: the expansion is written in double quotes, so it stays one word. */
  | { kind: "word" }
  /** Inside double quotes or an unquoted here-document: the expansion is written bare. */
  | { kind: "quoted"; heredoc?: boolean }
  /** No expansion can carry a value here. */
  | { kind: "refused"; why: string; hint: string };

export type Refused = Extract<Placement, { kind: "refused" }>;

export const CODE_HINT =
  "pass the value as an argument instead of in the code, e.g. bash -c '… \"$1\" …' _ {{ x }}, or mark the variable raw if it is meant to be code";

/** The places no expansion can carry a value, with what the operator can do instead. */
const REFUSALS = {
  singleQuotes: {
    why: "it stands inside single quotes, where the shell expands nothing, so no value can be filled in",
    hint: "close the quotes around it ('text '{{ x }}' more'), or use double quotes",
  },
  arithmetic: {
    why: "it stands in arithmetic, which bash evaluates as code (an array index can run a command)",
    hint: "assign it to a shell variable first (n={{ x }}), give the variable a pattern: of digits, and compute with $n",
  },
  backslash: {
    why: "a backslash right before it escapes the value's first character",
    hint: "remove the backslash",
  },
  dollar: {
    why: "a $ right before it turns the value into a shell expansion",
    hint: "remove the $ (the value is filled in as it is)",
  },
  arithmeticTest: {
    why: "it stands in [[ … ]] with an arithmetic comparison, which bash evaluates as code",
    hint: 'compare numbers with [ "$n" -eq 3 ] (single brackets), which does not evaluate them',
  },
  quotedHeredoc: {
    why: "it stands in a quoted here-document (<<'EOF'), where the shell expands nothing",
    hint: "write the delimiter unquoted (<<EOF) so values are filled in, or use a file block (```ini {file=…})",
  },
} as const;

export function refused(why: keyof typeof REFUSALS): Refused {
  return { kind: "refused", ...REFUSALS[why] };
}

/** A value in text another program parses as code; `why` names that program. */
export function refusedAsCode(why: string): Refused {
  return { kind: "refused", why, hint: CODE_HINT };
}

/**
 * The placement of a slot outside here-documents, from the frame it stands in and the character right
 * before it (`prevEscapes`: that character is a backslash that is not itself escaped).
 */
export function placementIn(stack: FrameStack, prevEscapes: boolean, prev: string): Placement {
  const f = stack.top();
  if (f.t === "sq" || f.t === "ansi") return refused("singleQuotes");
  if (f.t === "arith") return refused("arithmetic");
  if (prevEscapes) return refused("backslash");
  if (prev === "$") return refused("dollar");
  const code = stack.cmdFrame().reader.reasonAfter(stack.cmdFrame().words);
  if (code) return refusedAsCode(code);
  return stack.inQuotes() ? { kind: "quoted" } : { kind: "word" };
}
