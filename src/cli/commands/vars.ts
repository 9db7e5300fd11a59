import { RunbookError } from "../../model/errors.ts";

/** `--var name=value` pairs; the value may itself contain `=`. */
export function parseVarArgs(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const eq = a.indexOf("=");
    if (eq <= 0)
      throw new RunbookError(
        "usage",
        `--var ${a}: expected name=value`,
        undefined,
        "write --var rocketmq_home=/opt/rocketmq",
      );
    out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return out;
}

export function parseLimit(limit: string | undefined): string[] | undefined {
  if (limit === undefined) return undefined;
  const items = limit
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (items.length === 0)
    throw new RunbookError("usage", "--limit needs at least one machine", undefined, "write --limit a,b");
  return items;
}

/** `--forks N`: a whole number of machines, 1 or more. */
export function parseForks(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new RunbookError(
      "usage",
      `${flag} ${value}: expected a whole number of machines, 1 or more`,
      undefined,
      `write ${flag} 1 for one machine at a time, ${flag} 16 for the default`,
    );
  return n;
}
