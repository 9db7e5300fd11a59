import { RunbookError } from "../model/errors.ts";
import { USER_NAME } from "../model/inventory.ts";
import type { Runbook, SourcePos } from "../model/runbook.ts";
import type { HostScope } from "./scope.ts";

/**
 * The user a machine's commands run as, unless an action says otherwise: the inventory's `become:`
 * (the site knows its service users), else the `become:` of the runbook roles it plays. Undefined
 * when that is the login user: nothing to become.
 */
export function machineBecome(runbook: Runbook, scope: HostScope): string | undefined {
  const host = scope.host;
  if (host.become !== undefined) return unlessLogin(host.become, scope);
  const byRole = runbook.roles.filter((r) => r.become !== undefined && host.roles.includes(r.name));
  const users = new Map(
    byRole.map((r) => [r.name, rendered(r.become as string, scope, r.pos, `become of role ${r.name}`)]),
  );
  const distinct = [...new Set(users.values())];
  if (distinct.length > 1) {
    throw new RunbookError(
      "bad-variable",
      `machine ${host.name} plays roles that run as different users (${[...users].map(([r, u]) => `${r}: ${u}`).join(", ")})`,
      byRole[0]?.pos,
      `give ${host.name} become: in the inventory, or as= on the actions`,
    );
  }
  return distinct[0] === undefined ? undefined : unlessLogin(distinct[0], scope);
}

/** The user an action (or rollback) runs as on this machine: its `as=`, else the machine's. */
export function actionBecome(
  as: string | undefined,
  machine: string | undefined,
  scope: HostScope,
  pos: SourcePos,
): string | undefined {
  if (as === undefined) return machine;
  return unlessLogin(rendered(as, scope, pos, "as="), scope);
}

function rendered(text: string, scope: HostScope, pos: SourcePos, what: string): string {
  const r = scope.render(text, "text", pos);
  if (r.deferred.length > 0) {
    throw new RunbookError(
      "bad-variable",
      `${what} uses ${r.deferred.join(", ")}, which is only known during the run`,
      pos,
      "the user a command runs as must be known when the plan is made: use a variable with a value",
    );
  }
  if (!USER_NAME.test(r.text)) {
    throw new RunbookError(
      "bad-variable",
      `${what} is "${r.text}" on ${scope.host.name}, which is not a user name`,
      pos,
      "give the variable the name of a user of that machine, such as rocketmq",
    );
  }
  return r.text;
}

function unlessLogin(user: string, scope: HostScope): string | undefined {
  return user === scope.host.user ? undefined : user;
}
