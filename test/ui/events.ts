// Engine events for the UI tests, as the engine emits them, so a screen state can be reached without
// running anything.

import type { EngineEvent, HostStatus } from "../../src/engine/events.ts";
import type { Plan, PlannedStep } from "../../src/model/plan.ts";

export const AT = "2026-01-01T10:00:00.000Z";

export function runStarted(plan: Plan, resumed = false): EngineEvent {
  return {
    type: "run-started",
    at: AT,
    runId: "20260101-100000-demo",
    planHash: plan.hash,
    title: plan.runbook.title,
    resumed,
    steps: plan.phases.flatMap((p) =>
      p.steps.map((s) => ({
        id: s.id,
        title: s.title,
        phase: s.phase,
        risk: s.risk,
        hosts: s.targets.map((t) => t.host),
      })),
    ),
  };
}

export function stepStarted(step: PlannedStep): EngineEvent[] {
  const hosts = step.targets.map((t) => t.host);
  return [
    { type: "step-started", at: AT, stepId: step.id, hosts },
    ...hosts.map(
      (host): EngineEvent => ({ type: "host-status", at: AT, stepId: step.id, host, status: "running" }),
    ),
  ];
}

export function output(
  step: PlannedStep,
  host: string,
  text: string,
  stream: "stdout" | "stderr" = "stdout",
): EngineEvent {
  return { type: "output", at: AT, stepId: step.id, host, stream, text };
}

export function hostFinished(
  step: PlannedStep,
  host: string,
  status: HostStatus,
  exitCode: number | null,
  durationMs = 1200,
): EngineEvent {
  return {
    type: "host-finished",
    at: AT,
    stepId: step.id,
    host,
    status,
    exitCode,
    durationMs,
    error: status === "failed" ? `exit code ${exitCode}` : undefined,
  };
}

/** A whole step, ok on every machine, each printing `lines`. */
export function stepOk(step: PlannedStep, lines: string[] = []): EngineEvent[] {
  const hosts = step.targets.map((t) => t.host);
  return [
    ...stepStarted(step),
    ...hosts.flatMap((h) => (lines.length > 0 ? [output(step, h, `${lines.join("\n")}\n`)] : [])),
    ...hosts.map((h) => hostFinished(step, h, "ok", 0)),
    { type: "step-finished", at: AT, stepId: step.id, status: "ok" },
  ];
}
