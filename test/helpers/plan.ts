// Helpers for planner tests: find a step, a machine's actions, a command.

import type { Plan, PlannedAction, PlannedShell, PlannedStep, PlannedTarget } from "../../src/model/plan.ts";

export function planStep(plan: Plan, id: string): PlannedStep {
  const s = plan.phases.flatMap((p) => p.steps).find((x) => x.id === id);
  if (!s) throw new Error(`no step ${id} in the plan`);
  return s;
}

export function planTarget(plan: Plan, stepId: string, host: string): PlannedTarget {
  const t = planStep(plan, stepId).targets.find((x) => x.host === host);
  if (!t) throw new Error(`step ${stepId} does not run on ${host}`);
  return t;
}

/** The machines a step runs on, in plan order. */
export function hostsOf(plan: Plan, stepId: string): string[] {
  return planStep(plan, stepId).targets.map((t) => t.host);
}

/** The `n`th action of a step on a machine. */
export function actionOf(plan: Plan, stepId: string, host: string, n = 0): PlannedAction {
  const a = planTarget(plan, stepId, host).actions[n];
  if (!a) throw new Error(`step ${stepId} has no action ${n} on ${host}`);
  return a;
}

/** The command of the `n`th action of a step on a machine, which must be a shell action. */
export function commandOf(plan: Plan, stepId: string, host: string, n = 0): string {
  return shellOf(plan, stepId, host, n).command;
}

export function shellOf(plan: Plan, stepId: string, host: string, n = 0): PlannedShell {
  const a = actionOf(plan, stepId, host, n);
  if (a.kind !== "shell") throw new Error(`action ${n} of ${stepId} on ${host} is a ${a.kind} action`);
  return a;
}
