import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the shipped runbooks live: beside the sources, or RUNBOOK_HOME for a relocated binary. */
export function runbookHome(env: Record<string, string | undefined>): string {
  if (env.RUNBOOK_HOME) return resolve(env.RUNBOOK_HOME);
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
}
