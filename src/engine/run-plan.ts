import { NO_MACHINE } from "../model/plan.ts";
import { Asker } from "./ask.ts";
import type { EngineEvent, RunCounts, RunStatus } from "./events.ts";
import { runSteps, willRun } from "./flow.ts";
import { GcPacer } from "./gc-pacer.ts";
import { Masker, MIN_SECRET_LENGTH } from "./masker.ts";
import { actedOn, rollbackStep } from "./rollback.ts";
import type { RunContext, RunOptions } from "./run-context.ts";
import { type RunResult, resultOf, runCounts, runFailures } from "./run-result.ts";
import { thisRunner } from "./runner-alive.ts";
import { Session } from "./session.ts";
import { initialRunState, type Refusal, type RunState, reduceRun } from "./state.ts";

export type { RunOptions } from "./run-context.ts";
export type { RunResult } from "./run-result.ts";

/**
 * Runs a plan: the secrets it needs, everything that can be refused before step 1, the locks, the
 * steps, and how it ends. What it returns is a function of the events it emitted, nothing else.
 */
export async function runPlan(opts: RunOptions): Promise<RunResult> {
  const ctx = newContext(opts);
  const tooShort = await askSecrets(ctx);
  ctx.emit(runStarted(ctx));
  if (tooShort.length > 0) return refuse(ctx, tooShort.map(tooShortRefusal));
  markInterrupted(ctx);
  const refusals = [...wordRefusals(ctx)];
  if (refusals.length === 0) refusals.push(...(await ctx.session.preflight()));
  if (refusals.length > 0) return refuse(ctx, refusals);
  // A plan that only reads (a health check) protects nothing and must not stand in the way of one that
  // changes things: it takes no lock.
  const readOnly = ctx.steps.every((s) => s.skipped !== undefined || s.risk === "read");
  if (opts.lock && !readOnly) {
    const info = { runId: opts.runId, who: opts.lock.who, ...thisRunner(), since: ctx.now() };
    const held = await ctx.session.lockAll(info, opts.lock.breakStale);
    if (held) {
      await ctx.session.releaseAll(opts.runId);
      return refuse(ctx, [held]);
    }
  }
  const flow = await runSteps(ctx);
  if (flow.end === "reached") return finish(ctx, "ok");
  return finish(ctx, flow.end, flow.at, flow.stoppedBefore);
}

function newContext(opts: RunOptions): RunContext {
  const masker = new Masker();
  let state: RunState = opts.resumeFrom ?? initialRunState;
  const now = () => new Date().toISOString();
  // Every event passes the masker: output as it streams (see LineStreams), everything else here.
  const emit = (event: EngineEvent) => {
    const e = event.type === "output" ? event : masker.maskDeep(event);
    state = reduceRun(state, e);
    opts.emit(e);
  };
  const asker = new Asker(opts.decisions, emit, now);
  return {
    plan: opts.plan,
    opts,
    steps: opts.plan.phases.flatMap((p) => p.steps),
    signal: opts.signal ?? new AbortController().signal,
    asker,
    masker,
    gc: new GcPacer(),
    session: new Session(opts.plan, opts, asker, masker),
    secrets: new Map(),
    state: () => state,
    emit,
    now,
  };
}

/** The secrets the plan needs, asked before anything else; returns those too short to be masked. */
async function askSecrets(ctx: RunContext): Promise<string[]> {
  const tooShort: string[] = [];
  for (const name of ctx.plan.secrets) {
    const value = await ctx.asker.secret(name);
    if (value === undefined) continue;
    ctx.secrets.set(name, value);
    if (!ctx.masker.add(value)) tooShort.push(name);
  }
  return tooShort;
}

function runStarted(ctx: RunContext): EngineEvent {
  return {
    type: "run-started",
    at: ctx.now(),
    runId: ctx.opts.runId,
    planHash: ctx.plan.hash,
    title: ctx.plan.runbook.title,
    resumed: ctx.opts.resumeFrom !== undefined,
    ...(ctx.opts.by ? { by: ctx.opts.by } : {}),
    steps: ctx.steps.map((s) => ({
      id: s.id,
      title: s.title,
      phase: s.phase,
      risk: s.risk,
      hosts: s.targets.map((t) => t.host),
    })),
  };
}

/**
 * A command that was sent when the previous runner died may or may not have run (unknown); one that
 * was never sent did not (pending again).
 */
function markInterrupted(ctx: RunContext): void {
  for (const s of ctx.steps) {
    for (const [host, h] of Object.entries(ctx.state().steps[s.id]?.hosts ?? {})) {
      if (h.status !== "running" && h.status !== "waiting" && h.status !== "awaiting-decision") continue;
      ctx.emit({
        type: "host-status",
        at: ctx.now(),
        stepId: s.id,
        host,
        status: h.sent ? "unknown" : "pending",
        detail: h.sent
          ? "the runner stopped while this was running"
          : "the runner stopped before anything was sent here",
      });
    }
  }
}

/** A destructive step this run cannot confirm when it comes is refused now, before step 1. */
function wordRefusals(ctx: RunContext): Refusal[] {
  return ctx.steps
    .filter(
      (step) =>
        willRun(ctx, step) && step.risk === "destructive" && ctx.opts.decisions.canConfirm?.(step) === false,
    )
    .map((step) => ({
      reason: `step ${step.id} ("${step.title}") is destructive and this run cannot confirm it: add --confirm ${JSON.stringify(step.confirm ?? "")} (its word) to run it headless, or run it in a terminal; nothing was run`,
    }));
}

function tooShortRefusal(name: string): Refusal {
  return {
    reason: `secret ${name} is shorter than ${MIN_SECRET_LENGTH} characters: it cannot be masked (it would show through everywhere those letters appear), so nothing is run; give it a longer value`,
  };
}

async function refuse(ctx: RunContext, refusals: Refusal[]): Promise<RunResult> {
  for (const r of refusals) ctx.emit({ type: "refused", at: ctx.now(), ...r });
  ctx.emit({ type: "run-finished", at: ctx.now(), status: "aborted" });
  await ctx.session.closeAll();
  return resultOf(ctx.state());
}

/**
 * How the run ends: a run stopped before its end offers to roll back what it completed; one that
 * reached its end is over (its changes are not undone because a check failed), releases its locks, and
 * is empty when nothing ran.
 */
async function finish(
  ctx: RunContext,
  end: RunStatus,
  at?: string,
  stoppedBefore?: string,
): Promise<RunResult> {
  const reachedEnd = end === "ok";
  const checks = ctx.state().failedChecks;
  const listChecks = (reachedEnd || stoppedBefore !== undefined) && checks.length > 0;
  let status: RunStatus = reachedEnd && checks.length > 0 ? "failed" : end;
  const failedStep = reachedEnd ? checks[0] : at;
  if (!reachedEnd) {
    const state = ctx.state();
    const completed = state.order
      .filter((id) => state.steps[id]?.doneIn === state.segment)
      .flatMap((id) => ctx.steps.filter((s) => s.id === id));
    if (completed.length > 0) {
      const chosen = await ctx.asker.rollbackOnAbort([...completed].reverse());
      for (const s of chosen) await rollbackStep(ctx, s, actedOn(ctx, s));
    }
  }
  const counts = runCounts(ctx.state());
  const failures = runFailures(ctx.state());
  // A run in which nothing ran, or nothing was checked, is not a pass.
  const empty = status === "ok" && counts.ran === 0 ? emptyReason(counts, ctx.state()) : undefined;
  if (empty) status = "empty";
  ctx.emit({
    type: "run-finished",
    at: ctx.now(),
    status,
    ...(failedStep !== undefined ? { failedStep } : {}),
    ...(listChecks ? { failedChecks: [...checks] } : {}),
    ...(stoppedBefore !== undefined ? { stoppedBefore } : {}),
    ...(empty ? { reason: empty } : {}),
    counts,
    ...(failures.length > 0 ? { failures } : {}),
  });
  // An unfinished run keeps its locks: it is resumable, and nobody else should act meanwhile.
  if (reachedEnd) await ctx.session.releaseAll(ctx.opts.runId);
  await ctx.session.closeAll();
  return resultOf(ctx.state());
}

/** Why a run that reached its end with nothing run is empty, as the operator should read it. */
function emptyReason(counts: RunCounts, state: RunState): string {
  if (counts.notApplicable > 0)
    return `nothing checked: every step was not applicable on every machine (${counts.notApplicable} of ${counts.steps})`;
  const byRunner = state.order.every((id) => state.steps[id]?.skipReason === NO_MACHINE);
  return byRunner
    ? "nothing ran: no machine of the plan matched its steps (check --limit and the inventory's roles)"
    : "nothing ran: every step was skipped";
}
