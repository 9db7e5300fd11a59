import type { PlannedStep, PlannedTarget } from "../model/plan.ts";
import { mapLimit } from "../util/map-limit.ts";
import { MAX_WORD_ATTEMPTS } from "./decisions.ts";
import type { Decision } from "./events.ts";
import { type Outcome, runHostStep } from "./host-step.ts";
import { rollbackStep } from "./rollback.ts";
import { forksOf, type RunContext } from "./run-context.ts";
import { resolveUnknown } from "./unknown.ts";

/** Where the step loop stopped: at its end, or at a step (stopped by a person, failed, or refused). */
export type FlowEnd = { end: "reached" } | { end: "aborted" | "failed"; at: string };

/**
 * The step loop: for each step, whether it runs at all (options, an earlier run, the plan), then the
 * question before it, then the step on its machines. Every decision it takes reads the run's state.
 */
export async function runSteps(ctx: RunContext): Promise<FlowEnd> {
  const { opts } = ctx;
  const from = opts.from === undefined ? 0 : ctx.steps.findIndex((s) => s.id === opts.from);
  for (const [i, step] of ctx.steps.entries()) {
    if (ctx.signal.aborted) return { end: "aborted", at: step.id };
    const prior = ctx.state().steps[step.id]?.status;
    if (i < from || (opts.only && !opts.only.includes(step.id))) {
      // The operator's options decided these: journaled as theirs.
      if (prior !== "ok")
        ctx.asker.decide(
          step.id,
          { kind: "skip", reason: opts.only ? "not in --only" : `before --from ${opts.from}` },
          ctx.asker.who,
        );
      continue;
    }
    if (prior === "ok" || prior === "skipped" || prior === "not-applicable") continue;
    if (step.skipped) {
      ctx.asker.decide(step.id, { kind: "skip", reason: step.skipped });
      continue;
    }
    const unknown = hostsIn(ctx, step, "unknown");
    if (unknown.length > 0 && (await resolveUnknown(ctx, step, unknown)) === "abort")
      return { end: "aborted", at: step.id };
    const go = await askToRun(ctx, step);
    if (go === "abort" || go === "refused") return { end: "aborted", at: step.id };
    if (go === "skip") continue;
    const ran = await runStep(ctx, step);
    if (ran !== "done") return { end: ran, at: step.id };
  }
  return { end: "reached" };
}

/** Whether the run will come to this step and run it (as far as can be known before step 1). */
export function willRun(ctx: RunContext, step: PlannedStep): boolean {
  const from = ctx.opts.from === undefined ? 0 : ctx.steps.findIndex((s) => s.id === ctx.opts.from);
  if (step.skipped !== undefined || ctx.steps.indexOf(step) < from) return false;
  if (ctx.opts.only && !ctx.opts.only.includes(step.id)) return false;
  const prior = ctx.opts.resumeFrom?.steps[step.id]?.status;
  return prior !== "ok" && prior !== "skipped" && prior !== "not-applicable";
}

/**
 * Asks until the operator runs, skips or aborts the step. Between steps the operator may roll back a
 * finished step (on some machines or all); a destructive step also needs its confirmation word, and
 * backing out of that prompt returns to the question.
 */
async function askToRun(ctx: RunContext, step: PlannedStep): Promise<"run" | "skip" | "abort" | "refused"> {
  for (;;) {
    const before = await ctx.asker.beforeStep(step);
    switch (before.kind) {
      case "abort":
        return "abort";
      case "skip":
        return "skip";
      case "rollback": {
        const target = ctx.steps.find((s) => s.id === (before.stepId ?? step.id));
        if (target) await rollbackStep(ctx, target, before.hosts ?? target.targets.map((t) => t.host));
        continue;
      }
      case "run":
        break;
      default:
        continue;
    }
    if (step.risk !== "destructive") return "run";
    const word = await confirmWord(ctx, step);
    if (word !== "back") return word;
  }
}

/** Asks for a destructive step's word; each attempt, right or wrong, is journaled (never the text). */
async function confirmWord(ctx: RunContext, step: PlannedStep): Promise<"run" | "back" | "refused"> {
  for (let attempt = 1; attempt <= MAX_WORD_ATTEMPTS; attempt++) {
    const typed = await ctx.asker.confirmWord(step, attempt);
    if (typed === undefined) return "back";
    if (typed === step.confirm) return "run";
    // No word at all (a headless run without --confirm) is not worth asking again.
    if (typed === "") break;
  }
  const reason = "destructive step: its confirmation word was not given";
  ctx.asker.decide(step.id, { kind: "abort", reason }, ctx.asker.who);
  ctx.emit({ type: "refused", at: ctx.now(), reason: `step ${step.id}: ${reason}` });
  return "refused";
}

/**
 * A step on its machines, in parallel: then, until it is done, what its outcome asks for (machines
 * in an unknown state decided about, failed ones retried, rolled back, skipped, or the run stopped).
 */
async function runStep(ctx: RunContext, step: PlannedStep): Promise<"done" | "aborted" | "failed"> {
  ctx.emit({ type: "step-started", at: ctx.now(), stepId: step.id, hosts: step.targets.map((t) => t.host) });
  let pending = step.targets.filter((t) => !doneOn(ctx, step, t));
  for (;;) {
    const results = await mapLimit(pending, forksOf(ctx.opts), (t) => runHostStep(ctx, step, t));
    if (ctx.signal.aborted) return "aborted";
    // A machine whose command's fate is unknown is decided about before anything else happens there.
    const lost = hostsWith(pending, results, "unknown");
    if (lost.length > 0 && (await resolveUnknown(ctx, step, lost)) === "abort") return "aborted";
    const again = pending.filter((t) => ctx.state().steps[step.id]?.hosts[t.host]?.status === "pending");
    const failed = pending.filter((_, i) => results[i] === "failed");
    if (failed.length === 0 && again.length > 0) {
      pending = again;
      continue;
    }
    if (failed.length === 0) {
      const hosts = Object.values(ctx.state().steps[step.id]?.hosts ?? {});
      const none = hosts.length > 0 && hosts.every((h) => h.status === "not-applicable");
      ctx.emit({
        type: "step-finished",
        at: ctx.now(),
        stepId: step.id,
        status: none ? "not-applicable" : "ok",
      });
      return "done";
    }
    if (step.keepGoing) {
      ctx.emit({ type: "step-finished", at: ctx.now(), stepId: step.id, status: "failed", goesOn: true });
      return "done";
    }
    const next = await afterFailure(ctx, step, failed);
    if (next === "retry") pending = [...failed, ...again];
    else return next;
  }
}

/**
 * Asks what to do about the machines that failed. A rollback of some machines leaves the question open
 * (the operator may then retry, skip or stop); of all of them, it ends the step and the run.
 */
async function afterFailure(
  ctx: RunContext,
  step: PlannedStep,
  failed: PlannedTarget[],
): Promise<"retry" | "done" | "failed"> {
  let d: Decision;
  for (;;) {
    d = await ctx.asker.afterFailure(
      step,
      failed.map((t) => t.host),
    );
    if (d.kind !== "rollback") break;
    const all = step.targets.map((t) => t.host);
    const hosts = d.hosts ?? all;
    await rollbackStep(ctx, step, hosts);
    if (all.every((h) => hosts.includes(h))) {
      ctx.emit({ type: "step-finished", at: ctx.now(), stepId: step.id, status: "rolled-back" });
      return "failed";
    }
  }
  if (d.kind === "retry") return "retry";
  if (d.kind === "skip") {
    ctx.emit({ type: "step-finished", at: ctx.now(), stepId: step.id, status: "skipped" });
    return "done";
  }
  ctx.emit({ type: "step-finished", at: ctx.now(), stepId: step.id, status: "failed" });
  // A step failed and the run stops there: whoever chose to stop, the run failed (exit 1).
  return "failed";
}

function doneOn(ctx: RunContext, step: PlannedStep, t: PlannedTarget): boolean {
  const status = ctx.state().steps[step.id]?.hosts[t.host]?.status;
  return status === "ok" || status === "not-applicable";
}

function hostsIn(ctx: RunContext, step: PlannedStep, status: string): string[] {
  return step.targets
    .filter((t) => ctx.state().steps[step.id]?.hosts[t.host]?.status === status)
    .map((t) => t.host);
}

function hostsWith(targets: PlannedTarget[], results: Outcome[], outcome: Outcome): string[] {
  return targets.filter((_, i) => results[i] === outcome).map((t) => t.host);
}
