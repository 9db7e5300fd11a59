import type { PlannedStep } from "../model/plan.ts";
import { MAX_WORD_ATTEMPTS } from "./decisions.ts";
import { rollbackStep } from "./rollback.ts";
import type { RunContext } from "./run-context.ts";
import { runStep } from "./run-step.ts";
import { resolveUnknown } from "./unknown.ts";

/** Where the step loop stopped: at its end, or at a step (stopped by a person, failed, or refused). */
export type FlowEnd =
  | { end: "reached" }
  | { end: "aborted" | "failed"; at: string; stoppedBefore?: undefined }
  /** Keep-going checks failed and the run came to a step that changes machines: it is not run. */
  | { end: "failed"; at: string; stoppedBefore: string };

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
    // A gate runs after each batch of its rollout, never on its own.
    if (step.gateOf !== undefined) {
      ctx.asker.decide(step.id, {
        kind: "skip",
        reason: `the gate of step ${step.gateOf}, which did not run`,
      });
      continue;
    }
    // Checks that failed are a reason not to change anything: a preflight lists every problem, then
    // the run stops before the first step that acts on them (fix them, then resume).
    const checks = ctx.state().failedChecks;
    if (step.risk !== "read" && checks.length > 0)
      return { end: "failed", at: checks[0] as string, stoppedBefore: step.id };
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

function hostsIn(ctx: RunContext, step: PlannedStep, status: string): string[] {
  return step.targets
    .filter((t) => ctx.state().steps[step.id]?.hosts[t.host]?.status === status)
    .map((t) => t.host);
}
