import type { Failure, RunCounts, RunStatus } from "./events.ts";
import type { RunState } from "./state.ts";

/** How a run ended, as a caller reads it: a pure function of the run's final state. */
export interface RunResult {
  status: RunStatus;
  /** Refused by a machine or for the whole run (a lock, a host key, a word it could not give). */
  refused: boolean;
  /** Refused because of a mistake in the input (an inventory's key file): exit 2 rather than 4. */
  invalid: boolean;
  state: RunState;
  /** The step the run stopped at, or the first failed keep-going check of a run that reached its end. */
  failedStep?: string;
  /** The keep-going checks that failed, in order (empty when none did). */
  failedChecks: string[];
}

export function resultOf(state: RunState): RunResult {
  const status = state.status === "idle" ? "aborted" : state.status;
  return {
    status,
    refused: state.refusals.length > 0 || state.refusedMidRun,
    invalid: state.refusals.some((r) => r.invalid),
    state,
    ...(state.ended?.failedStep !== undefined ? { failedStep: state.ended.failedStep } : {}),
    failedChecks: [...state.failedChecks],
  };
}

/** Every machine a step ended failed (or unknown) on, in the order of the steps. */
export function runFailures(state: RunState): Failure[] {
  const out: Failure[] = [];
  for (const id of state.order) {
    for (const [host, h] of Object.entries(state.steps[id]?.hosts ?? {})) {
      if (h.status !== "failed" && h.status !== "unknown") continue;
      out.push({
        stepId: id,
        host,
        status: h.status,
        exitCode: h.exitCode,
        ...(h.error !== undefined ? { error: h.error } : {}),
        ...(h.tail !== undefined ? { tail: h.tail } : {}),
      });
    }
  }
  return out;
}

/** What a run's steps came to (see RunCounts), from its state. */
export function runCounts(state: RunState): RunCounts {
  const counts: RunCounts = {
    steps: 0,
    ran: 0,
    notApplicable: 0,
    skipped: 0,
    hosts: { ok: 0, failed: 0, notApplicable: 0 },
  };
  for (const id of state.order) {
    const step = state.steps[id];
    if (!step) continue;
    counts.steps++;
    const hosts = Object.values(step.hosts);
    for (const h of hosts) {
      if (h.status === "ok") counts.hosts.ok++;
      else if (h.status === "failed") counts.hosts.failed++;
      else if (h.status === "not-applicable") counts.hosts.notApplicable++;
    }
    if (step.status === "skipped") counts.skipped++;
    else if (step.status === "not-applicable") counts.notApplicable++;
    else if (
      hosts.some((h) => h.status === "ok" || h.status === "failed" || h.status === "rolled-back") ||
      (hosts.length === 0 && step.status === "ok")
    )
      counts.ran++;
  }
  return counts;
}
