import type { Inventory } from "../model/inventory.ts";
import type { Runbook, VarDecl } from "../model/runbook.ts";
import { MissingValueError } from "./scope.ts";

/**
 * The variable an operator may be asked for after planning failed with `error`: one that no default,
 * inventory, machine or role gives a value anywhere. A value typed then applies to every machine, as
 * --var does; a variable that some machines do have (a per-machine port) is not asked for, because one
 * answer would override those machines' own values: the inventory must be fixed instead.
 */
export function askableVariable(error: unknown, runbook: Runbook, inventory: Inventory): VarDecl | undefined {
  if (!(error instanceof MissingValueError)) return undefined;
  const name = error.variable;
  const decl = runbook.vars.find((v) => v.name === name);
  if (!decl || decl.secret || decl.default !== undefined) return undefined;
  if (name in inventory.vars) return undefined;
  if (inventory.hosts.some((h) => name in h.vars)) return undefined;
  if (runbook.roles.some((r) => name in r.vars)) return undefined;
  return decl;
}
