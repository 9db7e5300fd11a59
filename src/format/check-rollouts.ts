import { RunbookError } from "../model/errors.ts";
import type { Risk, Runbook, Step } from "../model/runbook.ts";

/** The step's risk, as the plan will say it: the highest of its actions'. */
function riskOf(step: Step): Risk {
  const risks = step.actions.map((a) => a.risk);
  if (risks.includes("destructive")) return "destructive";
  return risks.includes("change") ? "change" : "read";
}

/**
 * A rollout's gate is a read-only step after it, gating that one rollout only, and not rolled out
 * itself: anything else could run a change between batches, or gate nothing.
 */
export function checkRollouts(rb: Runbook): RunbookError[] {
  const steps = rb.phases.flatMap((p) => p.steps);
  const errors: RunbookError[] = [];
  const gated = new Map<string, string>();
  for (const [i, step] of steps.entries()) {
    const gateId = step.rollout?.gate;
    if (!step.rollout || gateId === undefined) continue;
    const pos = step.rollout.pos;
    const fix = `write gate= with the id of a read-only step that comes after "${step.title}"`;
    const at = steps.findIndex((s) => s.id === gateId);
    const gate = steps[at];
    const problem = !gate
      ? `gate=${gateId} names no step of this runbook`
      : at <= i
        ? `its gate ${gateId} comes before it: a gate runs after each batch, so it must come after the step`
        : riskOf(gate) !== "read"
          ? `its gate ${gateId} is not read-only (risk ${riskOf(gate)}): a gate only checks`
          : gate.rollout
            ? `its gate ${gateId} is itself rolled out (serial=)`
            : gated.has(gateId)
              ? `${gateId} is already the gate of step ${gated.get(gateId)}`
              : undefined;
    if (problem) errors.push(new RunbookError("bad-attribute", `step ${step.id}: ${problem}`, pos, fix));
    else gated.set(gateId, step.id);
  }
  return errors;
}
