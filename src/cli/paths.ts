import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the shipped runbooks live: beside the sources, or RUNBOOK_HOME for a relocated binary. */
export function runbookHome(env: Record<string, string | undefined>): string {
  if (env.RUNBOOK_HOME) return resolve(env.RUNBOOK_HOME);
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
}

/** The inventory used when -i is not given: RUNBOOK_INVENTORY, else the shipped local one. */
export function defaultInventory(env: Record<string, string | undefined>, cwd: string): string {
  if (env.RUNBOOK_INVENTORY) return resolve(cwd, env.RUNBOOK_INVENTORY);
  const shipped = join(runbookHome(env), "runbooks", "inventories", "local.yaml");
  return existsSync(shipped) ? shipped : join(cwd, "runbooks", "inventories", "local.yaml");
}
