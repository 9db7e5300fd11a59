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
