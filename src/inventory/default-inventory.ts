import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { runbookHome } from "../util/runbook-home.ts";

/** The inventory used when none is named: RUNBOOK_INVENTORY, else the shipped local one. */
export function defaultInventory(env: Record<string, string | undefined>, cwd: string): string {
  if (env.RUNBOOK_INVENTORY) return resolve(cwd, env.RUNBOOK_INVENTORY);
  const shipped = join(runbookHome(env), "runbooks", "inventories", "local.yaml");
  return existsSync(shipped) ? shipped : join(cwd, "runbooks", "inventories", "local.yaml");
}
