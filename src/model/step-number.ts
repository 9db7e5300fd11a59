import type { Plan } from "./plan.ts";

/** The plan's step ids, in the order they run. */
export function stepIds(plan: Pick<Plan, "phases">): string[] {
  return plan.phases.flatMap((p) => p.steps.map((s) => s.id));
}

/**
 * "2/5": where a step stands among the run's steps, as every screen and report says it ("step 2/5",
 * "[2/5]"). An id that is not among them is "?/5".
 */
export function stepNumber(ids: readonly string[], stepId: string | undefined): string {
  const i = stepId === undefined ? -1 : ids.indexOf(stepId);
  return `${i < 0 ? "?" : i + 1}/${ids.length}`;
}
