import { evaluateCondition, parseCondition } from "../format/condition.ts";
import { NO_MACHINE, type PlannedRollback, type PlannedStep, type PlannedTarget } from "../model/plan.ts";
import { type Action, keepsGoing, RISKS, type Risk, type Runbook, type Step } from "../model/runbook.ts";
import { actionBecome, machineBecome } from "./become.ts";
import { DEFAULT_COMMAND_TIMEOUT_MS, planAction } from "./plan-action.ts";
import { renderProse } from "./prose.ts";
import { planRollout } from "./rollout.ts";
import type { HostScope } from "./scope.ts";
import { compileShell } from "./shell-script.ts";
import type { Targets } from "./targets.ts";

/** What planning every step shares. */
export interface PlanContext {
  runbook: Runbook;
  targets: Targets;
  scopeFor: (host: string) => HostScope;
  /** Names captured by the actions planned so far: later actions, of this step too, may use them. */
  captured: Set<string>;
  /** Machines in inventory order, the order of every step's targets. */
  order: string[];
}

/** The step's targets as they are planned, by machine, in the order they were first acted on. */
type ByHost = Map<string, PlannedTarget>;

/** Where the step's first destructive action runs: its confirmation word is rendered with that machine's values. */
interface ConfirmSource {
  text: string;
  host: string;
  pos: Action["pos"];
}

/** A step: its actions and rollbacks on each machine they apply to, then the step around them. */
export function planStep(step: Step, phaseId: string, ctx: PlanContext): PlannedStep {
  const byHost: ByHost = new Map();
  const { risk, confirm } = planActions(step, ctx, byHost);
  planRollbacks(step, ctx, byHost);
  return assembleStep(step, phaseId, ctx, byHost, risk, confirm);
}

function targetOf(byHost: ByHost, host: string): PlannedTarget {
  let t = byHost.get(host);
  if (!t) {
    t = { host, actions: [], rollback: [] };
    byHost.set(host, t);
  }
  return t;
}

/** Whether when= holds on the machine of `scope`. */
function applies(when: string | undefined, scope: HostScope, pos: Action["pos"]): boolean {
  if (when === undefined) return true;
  // The condition is read as the author wrote it; a value from a variable (`broker_name ==
  // '{{ broker }}'`) is then filled in per machine and compared as a value, never read as syntax.
  const cond = parseCondition(when, pos).map((all) =>
    all.map((c) => (c.value.includes("{{") ? { ...c, value: scope.render(c.value, "text", pos).text } : c)),
  );
  return evaluateCondition(cond, (name) => scope.valueOf(name) ?? "");
}

/** The actions on their machines; returns the highest risk of those planned and where to confirm. */
function planActions(step: Step, ctx: PlanContext, byHost: ByHost): { risk: Risk; confirm?: ConfirmSource } {
  let risk: Risk = "read";
  let confirm: ConfirmSource | undefined;
  for (const action of step.actions) {
    for (const host of ctx.targets.resolve(action.on, action.pos)) {
      const scope = ctx.scopeFor(host.name);
      if (!applies(action.when, scope, action.pos)) continue;
      const planned = planAction(action, scope);
      const as = actionBecome(action.as, machineBecome(ctx.runbook, scope), scope, action.pos);
      targetOf(byHost, host.name).actions.push(as ? { ...planned, as } : planned);
      if (RISKS.indexOf(action.risk) > RISKS.indexOf(risk)) risk = action.risk;
      if (action.risk === "destructive" && !confirm) {
        confirm = {
          text: action.confirm ?? ctx.runbook.confirm ?? step.id,
          host: host.name,
          pos: action.pos,
        };
      }
    }
    if (action.kind === "shell" && action.capture) ctx.captured.add(action.capture);
  }
  return { risk, confirm };
}

function planRollbacks(step: Step, ctx: PlanContext, byHost: ByHost): void {
  for (const rb of step.rollbacks) {
    for (const host of ctx.targets.resolve(rb.on, rb.pos)) {
      const scope = ctx.scopeFor(host.name);
      if (!applies(rb.when, scope, rb.pos)) continue;
      const r = compileShell(rb.command, { ...rb.pos, line: rb.pos.line + 1, col: 1 }, scope);
      const planned: PlannedRollback = {
        source: rb.pos,
        command: r.display,
        run: r.run,
        timeoutMs: rb.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
        deferred: r.deferred,
      };
      const as = actionBecome(rb.as, machineBecome(ctx.runbook, scope), scope, rb.pos);
      if (as) planned.as = as;
      // A rollback only makes sense where the step did something.
      if (byHost.has(host.name) || step.actions.length === 0)
        targetOf(byHost, host.name).rollback.push(planned);
    }
  }
}

/** The planned step around its targets: prose, risk, confirmation, and whether any machine acts. */
function assembleStep(
  step: Step,
  phaseId: string,
  ctx: PlanContext,
  byHost: ByHost,
  risk: Risk,
  confirm: ConfirmSource | undefined,
): PlannedStep {
  const { scopeFor } = ctx;
  // Where the machines' values differ, each machine reads the prose with its own.
  for (const t of byHost.values()) {
    const own = renderProse(step.prose, [scopeFor(t.host)], step.pos);
    if (own.includes("{{") || own === step.prose) continue;
    t.prose = own;
  }
  const planned: PlannedStep = {
    id: step.id,
    title: step.title,
    phase: phaseId,
    prose: renderProse(
      step.prose,
      (byHost.size > 0 ? [...byHost.keys()] : ctx.targets.participants().map((h) => h.name)).map(scopeFor),
      step.pos,
    ),
    notes: step.notes,
    risk: step.actions.length === 0 ? "read" : risk,
    targets: [...byHost.values()].sort((a, b) => ctx.order.indexOf(a.host) - ctx.order.indexOf(b.host)),
    source: step.pos,
  };
  for (const t of planned.targets) if (t.prose === planned.prose) delete t.prose;
  if (step.actions.some(keepsGoing)) planned.keepGoing = true;
  if (step.rollout && planned.targets.length > 0) {
    planned.rollout = planRollout(
      step.rollout,
      planned.targets.map((t) => t.host),
    );
  }
  if (confirm) planned.confirm = scopeFor(confirm.host).render(confirm.text, "text", confirm.pos).text;
  if (step.actions.length > 0 && byHost.size === 0) {
    planned.skipped = NO_MACHINE;
    // Nothing acts, but the reviewer still reads what the step is: its declared risk.
    planned.risk = step.actions.reduce<Risk>(
      (r, a) => (RISKS.indexOf(a.risk) > RISKS.indexOf(r) ? a.risk : r),
      "read",
    );
  }
  return planned;
}
