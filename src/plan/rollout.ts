import type { PlannedRollout, PlannedStep } from "../model/plan.ts";
import type { MachineCount, Rollout } from "../model/runbook.ts";

/** A count or a share of `total` machines: a share rounds down for max-fail, up (at least 1) for serial. */
function machines(c: MachineCount, total: number, round: "up" | "down"): number {
  if ("count" in c) return c.count;
  const exact = (c.percent / 100) * total;
  return round === "up" ? Math.max(1, Math.ceil(exact)) : Math.floor(exact);
}

/** The step's machines in batches of `serial`, in the order the plan lists them. */
export function planRollout(rollout: Rollout, hosts: string[]): PlannedRollout {
  const size = machines(rollout.serial, hosts.length, "up");
  const batches: string[][] = [];
  for (let i = 0; i < hosts.length; i += size) batches.push(hosts.slice(i, i + size));
  return {
    batches,
    maxFail: rollout.maxFail ? machines(rollout.maxFail, hosts.length, "down") : 0,
    ...(rollout.pauseMs ? { pauseMs: rollout.pauseMs } : {}),
    ...(rollout.gate ? { gate: rollout.gate } : {}),
  };
}

/** Marks each rollout's gate step as such, once every step is planned (check made sure it can be one). */
export function markGates(steps: PlannedStep[]): void {
  for (const step of steps) {
    const gate = steps.find((s) => s.id === step.rollout?.gate);
    if (gate) gate.gateOf = step.id;
  }
}
