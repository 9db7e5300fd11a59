import { distance } from "fastest-levenshtein";

/**
 * How many names suggestions may still compare (one budget per runbook check), so that thousands of
 * mistakes against thousands of declared names still take linear time; past it, no suggestion.
 */
export interface SuggestBudget {
  left: number;
}

/** The closest known name when it is close enough to be a likely typo. */
export function nearest(name: string, known: Iterable<string>, budget?: SuggestBudget): string | undefined {
  const max = Math.max(2, Math.floor(name.length / 3));
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    // A name whose length differs by more than `max` cannot be within `max` edits.
    if (Math.abs(k.length - name.length) > max) continue;
    if (budget && budget.left-- <= 0) return undefined;
    const d = distance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= max ? best : undefined;
}

export function didYouMean(
  name: string,
  known: Iterable<string>,
  budget?: SuggestBudget,
): string | undefined {
  const n = nearest(name, known, budget);
  return n ? `did you mean "${n}"?` : undefined;
}

/** `a, b, c`, cut after `max` names (`… and 12 more`): a hint stays short however much is declared. */
export function listNames(names: readonly string[], max = 20): string {
  if (names.length <= max) return names.join(", ");
  return `${names.slice(0, max).join(", ")} … and ${names.length - max} more`;
}
