import { didYouMean } from "../format/suggest.ts";
import { RunbookError } from "../model/errors.ts";
import type { Host, Inventory } from "../model/inventory.ts";
import { PLAN_FORMAT, type Plan, type PlanHost, type PlannedPhase } from "../model/plan.ts";
import type { Runbook } from "../model/runbook.ts";
import { machineBecome } from "./become.ts";
import { planHash } from "./plan-hash.ts";
import { type PlanContext, planStep } from "./plan-step.ts";
import { renderProse } from "./prose.ts";
import { markGates } from "./rollout.ts";
import { HostScope, MissingValueError, type PlanInputs } from "./scope.ts";
import { Targets } from "./targets.ts";

export { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_WAIT_TIMEOUT_MS } from "./plan-action.ts";
export { planHash } from "./plan-hash.ts";

export interface PlanOptions {
  vars?: Record<string, string>;
  limit?: string[];
}

/**
 * Runbook + inventory + variables -> every step with, per machine, exactly what will run. The parts:
 * `targets.ts` (on= to machines), `scope.ts` (a machine's values), `plan-step.ts` (a step, assembled
 * around its targets), `plan-action.ts` (one action on one machine), `prose.ts`, `plan-hash.ts`.
 */
export function buildPlan(runbook: Runbook, inventory: Inventory, opts: PlanOptions = {}): Plan {
  const overrides = opts.vars ?? {};
  checkOverrides(runbook, overrides);
  const targets = new Targets(runbook, inventory, opts.limit);
  targets.checkRolesCovered();
  const inputs: PlanInputs = { runbook, inventory, overrides, targets };
  const participants = targets.participants();
  const captured = new Set<string>();
  const ctx: PlanContext = {
    runbook,
    targets,
    scopeFor: hostScopes(inputs, participants, captured),
    captured,
    order: inventory.hosts.map((h) => h.name),
  };
  const phases: PlannedPhase[] = runbook.phases.map((phase) => ({
    id: phase.id,
    title: phase.title,
    prose: renderProse(
      phase.prose,
      participants.map((h) => ctx.scopeFor(h.name)),
      phase.pos,
    ),
    steps: phase.steps.map((step) => planStep(step, phase.id, ctx)),
  }));
  markGates(phases.flatMap((p) => p.steps));
  const body: Omit<Plan, "hash"> = {
    format: PLAN_FORMAT,
    runbook: {
      file: runbook.file,
      title: runbook.title,
      summary: runbook.summary,
      intro: runbook.intro,
      sources: runbook.sources,
    },
    inventory: { file: inventory.file, sha256: inventory.sha256 },
    overrides,
    limit: opts.limit,
    // Only the secrets some action uses: a run is asked for those and no others.
    secrets: runbook.vars.filter((v) => v.secret && usesDeferred(phases, v.name)).map((v) => v.name),
    hosts: planHosts(phases, participants, ctx, inventory),
    phases,
  };
  return { ...body, hash: planHash(body) };
}

/** --var names a declared variable, and never a secret. */
function checkOverrides(runbook: Runbook, overrides: Record<string, string>): void {
  const declared = new Map(runbook.vars.map((v) => [v.name, v]));
  for (const name of Object.keys(overrides)) {
    const decl = declared.get(name);
    if (!decl) {
      throw new RunbookError(
        "usage",
        `--var ${name}: this runbook declares no variable ${name}`,
        undefined,
        suggestVar(name, runbook),
      );
    }
    if (decl.secret) {
      throw new RunbookError(
        "usage",
        `--var ${name}: ${name} is a secret and is never taken on the command line`,
        undefined,
        `supply it at run time (it is asked for, or read from RUNBOOK_SECRET_${name.toUpperCase()})`,
      );
    }
  }
}

/** Each machine's scope, made once: the participants' up front, a machine named with on=@name when first used. */
function hostScopes(
  inputs: PlanInputs,
  participants: Host[],
  captured: Set<string>,
): (name: string) => HostScope {
  const scopes = new Map(participants.map((h) => [h.name, new HostScope(inputs, h, captured)]));
  return (name) => {
    const s = scopes.get(name);
    if (s) return s;
    const host = inputs.inventory.hosts.find((h) => h.name === name);
    if (!host) throw new Error(`no host ${name}`);
    const created = new HostScope(inputs, host, captured);
    scopes.set(name, created);
    return created;
  };
}

/** Every machine the plan acts on, with its values: the runbook's roles, and any machine named with on=@name. */
function planHosts(
  phases: PlannedPhase[],
  participants: Host[],
  ctx: PlanContext,
  inventory: Inventory,
): PlanHost[] {
  const targeted = new Set(phases.flatMap((p) => p.steps.flatMap((s) => s.targets.map((t) => t.host))));
  // Outside --limit the runner does not act, so it neither connects nor locks there.
  const acting = inventory.hosts.filter(
    (h) => (participants.includes(h) && ctx.targets.allows(h.name)) || targeted.has(h.name),
  );
  return acting.map((h) => {
    const scope = ctx.scopeFor(h.name);
    const vars: Record<string, string> = {};
    for (const v of ctx.runbook.vars) {
      if (v.secret) continue;
      try {
        vars[v.name] = scope.valueOf(v.name) ?? "";
      } catch (e) {
        // A variable this machine never uses may lack a value; only a used one is an error.
        if (!(e instanceof MissingValueError)) throw e;
      }
    }
    return {
      name: h.name,
      transport: h.transport,
      address: h.address,
      port: h.port,
      user: h.user,
      ...becomeField(machineBecome(ctx.runbook, scope)),
      ...viaOf(h),
      roles: h.roles,
      vars,
    };
  });
}

function suggestVar(name: string, runbook: Runbook): string {
  const names = runbook.vars.map((v) => v.name);
  return didYouMean(name, names) ?? `declared variables: ${names.join(", ")}`;
}

function usesDeferred(phases: PlannedPhase[], name: string): boolean {
  return phases.some((p) =>
    p.steps.some((s) =>
      s.targets.some((t) => [...t.actions, ...t.rollback].some((a) => a.deferred.includes(name))),
    ),
  );
}

/** The bastions a machine is reached through, as the plan shows them (nothing when it is direct). */
function viaOf(h: Host): Pick<PlanHost, "via"> {
  return h.jump
    ? { via: h.jump.map((j) => ({ name: j.name, address: j.address, port: j.port, user: j.user })) }
    : {};
}

function becomeField(user: string | undefined): { become?: string } {
  return user === undefined ? {} : { become: user };
}
