import type { PlannedStep, PlannedTarget } from "../model/plan.ts";
import { mapLimit } from "../util/map-limit.ts";
import { sleep } from "../util/sleep.ts";
import type { Decision } from "./events.ts";
import { type Outcome, runHostStep } from "./host-step.ts";
import { rollbackStep } from "./rollback.ts";
import { forksOf, type RunContext } from "./run-context.ts";
import { resolveUnknown } from "./unknown.ts";

export type StepEnd = "done" | "aborted" | "failed";

/** How a batch ended: the rollout goes on ("next"), or the step ended. */
type BatchEnd = "next" | StepEnd;

/**
 * A step on its machines: all at once, or batch by batch (a rollout), each batch followed by the
 * step's gate; then, until it is done, what its outcome asks for (machines in an unknown state decided
 * about, failed ones retried, rolled back, skipped, or the run stopped). What is already done on a
 * machine (an earlier start of the run) is not run again.
 */
export async function runStep(ctx: RunContext, step: PlannedStep): Promise<StepEnd> {
  ctx.emit({ type: "step-started", at: ctx.now(), stepId: step.id, hosts: step.targets.map((t) => t.host) });
  const batches = batchesOf(step);
  const gate = step.rollout?.gate ? ctx.steps.find((s) => s.id === step.rollout?.gate) : undefined;
  // A check's failures never stop it; a rollout goes on with up to max-fail failed machines.
  const maxFail = step.keepGoing ? Number.POSITIVE_INFINITY : (step.rollout?.maxFail ?? 0);
  let ran = false;
  // On a resume, batches done before are not run again; their gate may not have passed (the run
  // stopped on it), so the last of them passes it again before the next batch starts or the step ends.
  let unchecked: PlannedTarget[] | undefined;
  const recheck = async () => !gate || !unchecked || (await passGate(ctx, step, gate, unchecked));
  for (const [i, batch] of batches.entries()) {
    const todo = batch.filter((t) => !doneOn(ctx, step, t));
    if (todo.length === 0) {
      unchecked = batch;
      continue;
    }
    if (!(await recheck())) return ctx.signal.aborted ? "aborted" : "failed";
    unchecked = undefined;
    if (batches.length > 1 && !(await startBatch(ctx, step, i, todo, ran))) return "aborted";
    ran = true;
    const end = await settle(ctx, step, todo, maxFail);
    if (end !== "next") return end;
    if (gate && !(await passGate(ctx, step, gate, todo))) return ctx.signal.aborted ? "aborted" : "failed";
  }
  if (!(await recheck())) return ctx.signal.aborted ? "aborted" : "failed";
  // Machines the rollout went on without are asked about once every batch has run.
  if (failedOn(ctx, step).length > 0) {
    const next = await onFailure(ctx, step, []);
    if (!Array.isArray(next)) return next;
    const end = await settle(ctx, step, next, 0);
    if (end !== "next") return end;
  }
  finish(ctx, step);
  if (gate) finish(ctx, gate);
  return "done";
}

/** The batch starts (after the step's pause, when a batch ran before it); false when the run was stopped. */
async function startBatch(
  ctx: RunContext,
  step: PlannedStep,
  index: number,
  todo: PlannedTarget[],
  after: boolean,
): Promise<boolean> {
  const pauseMs = after ? step.rollout?.pauseMs : undefined;
  ctx.emit({
    type: "batch-started",
    at: ctx.now(),
    stepId: step.id,
    batch: index + 1,
    of: batchesOf(step).length,
    hosts: todo.map((t) => t.host),
    ...(pauseMs ? { pauseMs } : {}),
  });
  if (pauseMs) await sleep(pauseMs, ctx.signal);
  return !ctx.signal.aborted;
}

/**
 * The gate after a batch: the next batch starts once it passed (or the operator skipped its failure).
 * When it fails and the run stops, the rolled-out step ends failed there too.
 */
async function passGate(
  ctx: RunContext,
  step: PlannedStep,
  gate: PlannedStep,
  batch: PlannedTarget[],
): Promise<boolean> {
  const end = await settle(ctx, gate, gateTargets(gate, batch), 0);
  if (end === "next" || end === "done") return true;
  // A rollback chosen at the gate's failure already ended the rolled-out step (rolled back).
  const rolledBack = ctx.state().steps[step.id]?.status === "rolled-back";
  if (end === "failed" && !rolledBack)
    ctx.emit({ type: "step-finished", at: ctx.now(), stepId: step.id, status: "failed" });
  return false;
}

/**
 * Runs the step on these machines until none is left to run: machines in an unknown state are decided
 * about, machines set back to pending (a rerun) run again. While no more than `maxFail` of the step's
 * machines failed, the rollout goes on ("next"); beyond that, the operator is asked.
 */
async function settle(
  ctx: RunContext,
  step: PlannedStep,
  targets: PlannedTarget[],
  maxFail: number,
): Promise<BatchEnd> {
  let pending = targets;
  for (;;) {
    const results = await mapLimit(pending, forksOf(ctx.opts), (t) => runHostStep(ctx, step, t));
    if (ctx.signal.aborted) return "aborted";
    // A machine whose command's fate is unknown is decided about before anything else happens there.
    const lost = hostsWith(pending, results, "unknown");
    if (lost.length > 0 && (await resolveUnknown(ctx, step, lost)) === "abort") return "aborted";
    const again = pending.filter((t) => statusOn(ctx, step, t) === "pending");
    const failedNow = pending.some((_, i) => results[i] === "failed");
    if (!failedNow || failedOn(ctx, step).length <= maxFail) {
      if (again.length === 0) return "next";
      pending = again;
      continue;
    }
    const next = await onFailure(ctx, step, again);
    if (!Array.isArray(next)) return next;
    pending = next;
  }
}

/**
 * Asks what to do about the step's failed machines: the machines to run again (a retry, with those
 * left to run), or how the step ended. A check (keep-going) is not asked about: the run goes on.
 */
async function onFailure(
  ctx: RunContext,
  step: PlannedStep,
  again: PlannedTarget[],
): Promise<PlannedTarget[] | StepEnd> {
  if (step.keepGoing) {
    ctx.emit({ type: "step-finished", at: ctx.now(), stepId: step.id, status: "failed", goesOn: true });
    return "done";
  }
  const failed = failedOn(ctx, step);
  const d = await decideAfterFailure(ctx, step, failed);
  if (d === "rolled-back") return "failed";
  if (d.kind === "retry") return [...failed, ...again];
  if (d.kind === "skip") {
    ctx.emit({ type: "step-finished", at: ctx.now(), stepId: step.id, status: "skipped" });
    return "done";
  }
  ctx.emit({ type: "step-finished", at: ctx.now(), stepId: step.id, status: "failed" });
  // A step failed and the run stops there: whoever chose to stop, the run failed (exit 1).
  return "failed";
}

async function decideAfterFailure(
  ctx: RunContext,
  step: PlannedStep,
  failed: PlannedTarget[],
): Promise<Decision | "rolled-back"> {
  for (;;) {
    const d = await ctx.asker.afterFailure(
      step,
      failed.map((t) => t.host),
    );
    if (d.kind !== "rollback") return d;
    const gated = step.gateOf ? ctx.steps.find((s) => s.id === step.gateOf) : undefined;
    if (gated) return rollBackGated(ctx, step, gated);
    const all = step.targets.map((t) => t.host);
    const hosts = d.hosts ?? all;
    await rollbackStep(ctx, step, hosts);
    if (all.every((h) => hosts.includes(h))) {
      ctx.emit({ type: "step-finished", at: ctx.now(), stepId: step.id, status: "rolled-back" });
      return "rolled-back";
    }
  }
}

/**
 * A gate has nothing to undo: what it judged is the rolled-out step, so a rollback chosen at its
 * failure rolls that step back on every machine it ran on, and the gate ends failed.
 */
async function rollBackGated(ctx: RunContext, gate: PlannedStep, gated: PlannedStep): Promise<"rolled-back"> {
  const ran = gated.targets.filter((t) => {
    const status = statusOn(ctx, gated, t);
    return status === "ok" || status === "failed";
  });
  await rollbackStep(
    ctx,
    gated,
    ran.map((t) => t.host),
  );
  ctx.emit({ type: "step-finished", at: ctx.now(), stepId: gate.id, status: "failed" });
  ctx.emit({ type: "step-finished", at: ctx.now(), stepId: gated.id, status: "rolled-back" });
  return "rolled-back";
}

function finish(ctx: RunContext, step: PlannedStep): void {
  const hosts = Object.values(ctx.state().steps[step.id]?.hosts ?? {});
  const none = hosts.length > 0 && hosts.every((h) => h.status === "not-applicable");
  ctx.emit({ type: "step-finished", at: ctx.now(), stepId: step.id, status: none ? "not-applicable" : "ok" });
}

/** The step's machines batch by batch, as planned; one batch of all of them when it is not rolled out. */
function batchesOf(step: PlannedStep): PlannedTarget[][] {
  const batches = step.rollout?.batches;
  if (!batches) return [step.targets];
  return batches.map((names) => step.targets.filter((t) => names.includes(t.host)));
}

/** Where a gate runs after a batch: on the batch's machines it has, else on all of its own. */
function gateTargets(gate: PlannedStep, batch: PlannedTarget[]): PlannedTarget[] {
  const hosts = new Set(batch.map((t) => t.host));
  const mine = gate.targets.filter((t) => hosts.has(t.host));
  return mine.length > 0 ? mine : gate.targets;
}

function failedOn(ctx: RunContext, step: PlannedStep): PlannedTarget[] {
  return step.targets.filter((t) => statusOn(ctx, step, t) === "failed");
}

function statusOn(ctx: RunContext, step: PlannedStep, t: PlannedTarget): string | undefined {
  return ctx.state().steps[step.id]?.hosts[t.host]?.status;
}

function doneOn(ctx: RunContext, step: PlannedStep, t: PlannedTarget): boolean {
  const status = statusOn(ctx, step, t);
  return status === "ok" || status === "not-applicable";
}

function hostsWith(targets: PlannedTarget[], results: Outcome[], outcome: Outcome): string[] {
  return targets.filter((_, i) => results[i] === outcome).map((t) => t.host);
}
