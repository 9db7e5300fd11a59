import {
  DEFERRED,
  NO_MACHINE,
  type Plan,
  type PlanHost,
  type PlannedStep,
  type PlannedTarget,
} from "../model/plan.ts";
import { type Transport, TransportError } from "../transport/transport.ts";
import { type DecisionSource, MAX_WORD_ATTEMPTS, RUNNER } from "./decisions.ts";
import type { Decision, EngineEvent, HostStatus, RunCounts, RunStatus } from "./events.ts";
import { executeAction, exitText } from "./execute-action.ts";
import { GcPacer } from "./gc-pacer.ts";
import { acquireLock, type LockInfo, releaseLock } from "./lock.ts";
import { Masker, MIN_SECRET_LENGTH, type StreamMasker } from "./masker.ts";
import { checkProcess, describeCheck } from "./process-check.ts";
import { thisRunner } from "./runner-alive.ts";
import { MissingLateValue, scriptOf } from "./script-of.ts";
import { initialRunState, type RunState, reduceRun, runCounts, runFailures } from "./state.ts";
import { runTsAction } from "./ts-action.ts";

export interface RunOptions {
  plan: Plan;
  runId: string;
  connect(host: PlanHost): Promise<Transport>;
  decisions: DecisionSource;
  /** Every event, in order; the journal, the reporters and the UI subscribe here. */
  emit(event: EngineEvent): void;
  /** Aborting stops the running commands on every machine and ends the run as aborted. */
  signal?: AbortSignal;
  /** How many machines run a step at once. */
  parallel?: number;
  /** Start at this step (earlier ones are skipped, journaled as such). */
  from?: string;
  /** Run only these steps. */
  only?: string[];
  /** State rebuilt from the journal of an earlier, interrupted run of the same plan. */
  resumeFrom?: RunState;
  /** Who runs it (user@host), journaled with the run's start. */
  by?: string;
  /** Lock every machine of the plan for this run; without it no lock is taken (tests, dry runs). */
  lock?: { who: string; breakStale: boolean };
}

export interface RunResult {
  status: RunStatus;
  /** A machine refused us (host key, authentication): exit code 4 rather than 1. */
  refused: boolean;
  state: RunState;
  /** The step the run stopped at, or the first failed keep-going check of a run that reached its end. */
  failedStep?: string;
  /** The keep-going checks that failed, in order (empty when none did). */
  failedChecks: string[];
}

/** Runs a plan step by step; the only place that decides what happens next. */
export async function runPlan(opts: RunOptions): Promise<RunResult> {
  const { plan, decisions } = opts;
  const masker = new Masker();
  const gc = new GcPacer();
  /** A machine's output for a step, masked as it streams, in whole lines, on the event stream. */
  const outputOf = (stepId: string, host: string, tails?: Tails) =>
    new LineStreams(masker, (stream, text) => {
      emit({ type: "output", at: now(), stepId, host, stream, text });
      tails?.add(stream, text);
      gc.add(text.length);
    });
  const signal = opts.signal ?? new AbortController().signal;
  const connections = new Map<string, Promise<Transport>>();
  const hostsByName = new Map(plan.hosts.map((h) => [h.name, h]));
  let state: RunState = opts.resumeFrom ?? initialRunState;
  let refused = false;
  const now = () => new Date().toISOString();
  // Every event passes the masker: output as it streams (see LineStreams), everything else here.
  const emit = (event: EngineEvent) => {
    const e = event.type === "output" ? event : masker.maskDeep(event);
    state = reduceRun(state, e);
    opts.emit(e);
  };
  const secrets = new Map<string, string>();
  const tooShort: string[] = [];
  for (const name of plan.secrets) {
    const value = await decisions.secret(name);
    if (value !== undefined) {
      secrets.set(name, value);
      if (!masker.add(value)) tooShort.push(name);
    }
  }

  const steps = plan.phases.flatMap((p) => p.steps);
  const fromIndex = opts.from === undefined ? 0 : steps.findIndex((s) => s.id === opts.from);
  /** Whether the run will come to this step and run it (as far as can be known before step 1). */
  const willRun = (step: PlannedStep): boolean => {
    if (step.skipped !== undefined || steps.indexOf(step) < fromIndex) return false;
    if (opts.only && !opts.only.includes(step.id)) return false;
    const prior = opts.resumeFrom?.steps[step.id]?.status;
    return prior !== "ok" && prior !== "skipped" && prior !== "not-applicable";
  };
  emit({
    type: "run-started",
    at: now(),
    runId: opts.runId,
    planHash: plan.hash,
    title: plan.runbook.title,
    resumed: opts.resumeFrom !== undefined,
    ...(opts.by ? { by: opts.by } : {}),
    steps: steps.map((s) => ({
      id: s.id,
      title: s.title,
      phase: s.phase,
      risk: s.risk,
      hosts: s.targets.map((t) => t.host),
    })),
  });
  if (tooShort.length > 0) {
    for (const name of tooShort) {
      emit({
        type: "refused",
        at: now(),
        reason: `secret ${name} is shorter than ${MIN_SECRET_LENGTH} characters: it cannot be masked (it would show through everywhere those letters appear), so nothing is run; give it a longer value`,
      });
    }
    emit({ type: "run-finished", at: now(), status: "aborted" });
    return { status: "aborted", refused: true, state, failedChecks: [] };
  }
  // A command that was sent when the previous runner died may or may not have run; one that was
  // never sent did not.
  for (const s of steps) {
    for (const [host, h] of Object.entries(state.steps[s.id]?.hosts ?? {})) {
      if (h.status === "running" || h.status === "waiting" || h.status === "awaiting-decision") {
        emit({
          type: "host-status",
          at: now(),
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

  const closeAll = () =>
    Promise.all([...connections.values()].map(async (c) => (await c.catch(() => undefined))?.close()));
  const locked: string[] = [];
  const releaseAll = async () => {
    await Promise.all(
      locked.map(async (name) => {
        try {
          await releaseLock(await connect(name), opts.runId);
        } catch {
          // An unreachable machine keeps its lock; it shows as stale to the next run on it.
        }
      }),
    );
  };

  const connect = (name: string): Promise<Transport> => {
    let c = connections.get(name);
    if (!c) {
      const host = hostsByName.get(name);
      if (!host) return Promise.reject(new Error(`machine ${name} is not in the plan`));
      c = opts.connect(host);
      connections.set(name, c);
    }
    return c;
  };

  // Refuse before acting: everything that can be known before step 1 is checked before step 1. A
  // destructive step that this run cannot confirm, and every machine's host key and login, whatever
  // the risk: a run never acts on some machines and then stops at one it could not reach.
  const refusals: { host?: string; reason: string }[] = [];
  for (const step of steps.filter(willRun)) {
    if (step.risk === "destructive" && decisions.canConfirm?.(step) === false) {
      refusals.push({
        reason: `step ${step.id} ("${step.title}") is destructive and this run cannot confirm it: add --confirm ${JSON.stringify(step.confirm ?? "")} (its word) to run it headless, or run it in a terminal; nothing was run`,
      });
    }
  }
  if (refusals.length === 0) {
    const opened = await Promise.all(
      plan.hosts.map(async (h) => {
        try {
          await (await connect(h.name)).open();
          return undefined;
        } catch (e) {
          if (e instanceof TransportError && e.code !== "connect-failed") refused = true;
          return {
            host: h.name,
            reason: `${(e as Error).message}${/Nothing was run/.test((e as Error).message) ? "" : "; nothing was run"}`,
          };
        }
      }),
    );
    for (const o of opened) if (o) refusals.push(o);
  }
  if (refusals.length > 0) {
    for (const r of refusals)
      emit({ type: "refused", at: now(), ...(r.host ? { host: r.host } : {}), reason: r.reason });
    emit({ type: "run-finished", at: now(), status: "aborted" });
    await closeAll();
    return { status: "aborted", refused: true, state, failedChecks: [] };
  }

  // A plan that only reads (a health check) protects nothing and must not stand in the way of one that
  // changes things: it takes no lock.
  const readOnly = steps.every((s) => s.skipped !== undefined || s.risk === "read");
  if (opts.lock && !readOnly) {
    const info: LockInfo = { runId: opts.runId, who: opts.lock.who, ...thisRunner(), since: now() };
    // The locks one by one in an order every runner shares, so of two runs racing for the same
    // machines one always gets them all (the other is refused at the first machine they share,
    // holding nothing of the rest).
    let problem: { host: string; reason: string } | undefined;
    for (const h of [...plan.hosts].sort((a, b) => lockOrder(a).localeCompare(lockOrder(b)))) {
      try {
        const r = await acquireLock(await connect(h.name), h.name, info, {
          breakStale: opts.lock.breakStale,
        });
        if (!r.ok) {
          problem = { host: h.name, reason: r.reason };
          break;
        }
        locked.push(h.name);
      } catch (e) {
        if (e instanceof TransportError && e.code !== "connect-failed") refused = true;
        problem = { host: h.name, reason: `cannot lock ${h.name}: ${masker.mask((e as Error).message)}` };
        break;
      }
    }
    if (problem) {
      emit({ type: "refused", at: now(), host: problem.host, reason: problem.reason });
      await releaseAll();
      emit({ type: "run-finished", at: now(), status: "aborted" });
      await closeAll();
      return { status: "aborted", refused: true, state, failedChecks: [] };
    }
  }

  /** Journals a decision: a person's (through the decision source) unless `by` says the runner made it. */
  const decide = async (step: PlannedStep, d: Promise<Decision>, by = decisions.who): Promise<Decision> => {
    const decision = await d;
    emit({ type: "decision", at: now(), stepId: step.id, decision, by });
    return decision;
  };

  /** Values bound at run time on a machine: its captured values, then the secrets. */
  const lateOn = (host: string) => (name: string) => state.captured[host]?.[name] ?? secrets.get(name);

  const runHost = async (step: PlannedStep, target: PlannedTarget): Promise<Outcome> => {
    const started = Date.now();
    const host = target.host;
    emit({ type: "host-status", at: now(), stepId: step.id, host, status: "running" });
    const tails = new Tails();
    const streams = outputOf(step.id, host, tails);
    const finished = (
      outcome: Outcome,
      exitCode: number | null,
      error?: string,
      detail?: string,
    ): Outcome => {
      const tail = outcome === "failed" || outcome === "unknown" ? tails.lines() : [];
      emit({
        type: "host-finished",
        at: now(),
        stepId: step.id,
        host,
        status: outcome,
        exitCode,
        durationMs: Date.now() - started,
        ...(error === undefined ? {} : { error }),
        ...(detail === undefined ? {} : { detail }),
        ...(tail.length > 0 ? { tail } : {}),
      });
      return outcome;
    };
    const captured = (name: string, value: string) =>
      emit({ type: "captured", at: now(), stepId: step.id, host, name, value: masker.mask(value) });
    let transport: Transport;
    try {
      transport = await connect(host);
    } catch (e) {
      if (e instanceof TransportError && e.code !== "connect-failed") refused = true;
      return finished("failed", null, (e as Error).message);
    }
    const vars = plan.hosts.find((h) => h.name === host)?.vars ?? {};
    const late = lateOn(host);
    for (const action of target.actions) {
      const filled =
        action.kind === "file"
          ? { ...action, content: fillText(action.content, late), path: fillText(action.path, late) }
          : action;
      let outcome: Awaited<ReturnType<typeof executeAction>>;
      try {
        outcome = await executeAction(filled, {
          transport,
          late,
          sending: () => emit({ type: "command-sent", at: now(), stepId: step.id, host }),
          started: (p) =>
            emit({ type: "command-started", at: now(), stepId: step.id, host, pid: p.pid, id: p.id }),
          stepId: step.id,
          remoteRunDir: `~/.runbook/runs/${opts.runId}`,
          signal,
          output: (stream, text) => streams.write(stream, text),
          status: (status: HostStatus, detail?: string, timeoutMs?: number) =>
            emit({
              type: "host-status",
              at: now(),
              stepId: step.id,
              host,
              status,
              ...(detail === undefined ? {} : { detail }),
              ...(timeoutMs === undefined ? {} : { timeoutMs }),
            }),
          runTs: (code) =>
            runTsAction(code, {
              vars,
              host: hostsByName.get(host) as PlanHost,
              transport,
              signal,
              output: (stream, text) => streams.write(stream, text),
              capture: captured,
            }),
        });
      } catch (e) {
        streams.flush();
        // The connection went away while the command ran: whether it ran is not known.
        if (e instanceof TransportError && e.code === "lost") return finished("unknown", null, e.message);
        // The machine refused us mid-step (host key, authentication).
        if (e instanceof TransportError && e.code !== "connect-failed" && e.code !== "closed") refused = true;
        const error = e instanceof MissingLateValue || e instanceof Error ? e.message : String(e);
        outcome = { ok: false, exitCode: null, error };
      }
      streams.flush();
      if (outcome.captured !== undefined && action.kind === "shell" && action.capture)
        captured(action.capture, outcome.captured);
      if (outcome.notApplicable !== undefined)
        return finished("not-applicable", outcome.exitCode, undefined, outcome.notApplicable);
      if (!outcome.ok) return finished("failed", outcome.exitCode, outcome.error);
    }
    return finished("ok", 0);
  };

  const rollbackStep = async (step: PlannedStep, hosts: string[]) => {
    await Promise.all(
      step.targets
        .filter((t) => hosts.includes(t.host) && t.rollback.length > 0)
        .map(async (t) => {
          const streams = outputOf(step.id, t.host);
          try {
            const transport = await connect(t.host);
            for (const r of t.rollback) {
              const res = await transport.exec(scriptOf(r.run, lateOn(t.host)), {
                timeoutMs: r.timeoutMs,
                onStdout: (x) => streams.write("stdout", x),
                onStderr: (x) => streams.write("stderr", x),
              });
              streams.flush();
              if (res.code !== 0)
                throw new Error(
                  res.timedOut
                    ? `rollback timed out after ${r.timeoutMs / 1000}s`
                    : `rollback: ${exitText(res)}`,
                );
            }
            emit({ type: "rollback-finished", at: now(), stepId: step.id, host: t.host, ok: true });
          } catch (e) {
            emit({
              type: "rollback-finished",
              at: now(),
              stepId: step.id,
              host: t.host,
              ok: false,
              error: masker.mask((e as Error).message),
            });
          }
        }),
    );
  };

  /**
   * Asks until the operator runs, skips or aborts the step. Between steps the operator may roll back a
   * finished step (on some machines or all); a destructive step also needs its confirmation word, and
   * backing out of that prompt (undefined) returns to the question.
   */
  const askToRun = async (step: PlannedStep): Promise<"run" | "skip" | "abort" | "refused"> => {
    for (;;) {
      const before = await decide(step, decisions.beforeStep(step));
      switch (before.kind) {
        case "abort":
          return "abort";
        case "skip":
          return "skip";
        case "retry":
          continue;
        case "rollback": {
          const target = steps.find((s) => s.id === (before.stepId ?? step.id));
          if (target) await rollbackStep(target, before.hosts ?? target.targets.map((t) => t.host));
          continue;
        }
        case "run":
          break;
      }
      if (step.risk !== "destructive") return "run";
      const word = await confirmWord(step);
      if (word !== "back") return word;
    }
  };

  /** Asks for a destructive step's word; each attempt, right or wrong, is journaled (never the text). */
  const confirmWord = async (step: PlannedStep): Promise<"run" | "back" | "refused"> => {
    for (let attempt = 1; attempt <= MAX_WORD_ATTEMPTS; attempt++) {
      const typed = await decisions.confirmWord(step, attempt);
      if (typed === undefined) return "back";
      const right = typed === step.confirm;
      await decide(step, Promise.resolve({ kind: "word", right, attempt }));
      if (right) return "run";
      // No word at all (a headless run without --confirm) is not worth asking again.
      if (typed === "") break;
    }
    await decide(
      step,
      Promise.resolve({
        kind: "abort",
        reason: "destructive step: its confirmation word was not given",
      }),
    );
    return "refused";
  };

  const completed: PlannedStep[] = [];
  // keep-going checks that failed: reported at the end, where the run fails without stopping early.
  const failedChecks: string[] = [];
  const finish = async (status: RunStatus, failedStep?: string): Promise<RunResult> => {
    const reachedEnd = status !== "aborted" && failedStep === undefined;
    if (reachedEnd && failedChecks.length > 0) {
      status = "failed";
      failedStep = failedChecks[0];
    }
    // A run that reached its end is over: its changes are not undone because a check failed.
    if (status !== "ok" && !reachedEnd && completed.length > 0) {
      const chosen = await decisions.rollbackOnAbort([...completed].reverse());
      // Only where the step did something: not where it did not apply.
      for (const s of chosen)
        await rollbackStep(
          s,
          s.targets
            .map((t) => t.host)
            .filter((h) => state.steps[s.id]?.hosts[h]?.status !== "not-applicable"),
        );
    }
    const counts = runCounts(state);
    const failures = runFailures(state);
    // A run in which nothing ran, or nothing was checked, is not a pass.
    const empty = status === "ok" && counts.ran === 0 ? emptyReason(counts, state) : undefined;
    if (empty) status = "empty";
    emit({
      type: "run-finished",
      at: now(),
      status,
      failedStep,
      ...(reachedEnd && failedChecks.length > 0 ? { failedChecks: [...failedChecks] } : {}),
      ...(empty ? { reason: empty } : {}),
      counts,
      ...(failures.length > 0 ? { failures } : {}),
    });
    // An unfinished run keeps its locks: it is resumable, and nobody else should act meanwhile.
    if (reachedEnd) await releaseAll();
    await closeAll();
    return { status, refused, state, failedStep, failedChecks: [...failedChecks] };
  };

  /**
   * Machines where the step may or may not have run: each is looked at (is its command still
   * running?) and decided about on its own. A command still running, or a machine that cannot be
   * looked at, is never run again: the run stops there, resumable.
   */
  const resolveUnknown = async (step: PlannedStep, hosts: string[]): Promise<"go" | "abort"> => {
    for (const host of hosts) {
      const h = state.steps[step.id]?.hosts[host] ?? { status: "unknown" as const, exitCode: null };
      const check = await checkProcess(() => connect(host), h);
      emit({
        type: "host-status",
        at: now(),
        stepId: step.id,
        host,
        status: "unknown",
        detail: describeCheck(check),
      });
      const answer = await decisions.resolveUnknown(step, host, check);
      const blocked = check.kind === "running" || check.kind === "unreachable";
      if (answer === "abort" || (answer === "rerun" && blocked)) {
        const reason = blocked
          ? `${host}: not run again, because its command is ${describeCheck(check)}: wait for it to end (or stop it there), then resume`
          : `${host}: the state of its command is unknown (${describeCheck(check)}) and nobody decided to run it again or count it as done`;
        await decide(step, Promise.resolve({ kind: "abort", reason }));
        return "abort";
      }
      await decide(step, Promise.resolve({ kind: answer, hosts: [host] }));
    }
    return "go";
  };

  let reachedFrom = opts.from === undefined;
  for (const step of steps) {
    if (signal.aborted) return finish("aborted", step.id);
    if (!reachedFrom && step.id === opts.from) reachedFrom = true;
    const prior = state.steps[step.id];
    if (!reachedFrom || (opts.only && !opts.only.includes(step.id))) {
      if (prior?.status !== "ok") {
        await decide(
          step,
          Promise.resolve({
            kind: "skip",
            reason: opts.only ? "not in --only" : `before --from ${opts.from}`,
          }),
        );
      }
      continue;
    }
    if (prior?.status === "ok" || prior?.status === "skipped" || prior?.status === "not-applicable") continue;
    if (step.skipped) {
      await decide(step, Promise.resolve({ kind: "skip", reason: step.skipped ?? "" }), RUNNER);
      continue;
    }
    const unknown = step.targets
      .filter((t) => state.steps[step.id]?.hosts[t.host]?.status === "unknown")
      .map((t) => t.host);
    if (unknown.length > 0 && (await resolveUnknown(step, unknown)) === "abort") {
      return finish("aborted", step.id);
    }
    const go = await askToRun(step);
    if (go === "abort") return finish("aborted", step.id);
    if (go === "refused") {
      refused = true;
      return finish("aborted", step.id);
    }
    if (go === "skip") continue;
    emit({ type: "step-started", at: now(), stepId: step.id, hosts: step.targets.map((t) => t.host) });
    const done = (t: PlannedTarget) => {
      const status = state.steps[step.id]?.hosts[t.host]?.status;
      return status === "ok" || status === "not-applicable";
    };
    let pending = step.targets.filter((t) => !done(t));
    for (;;) {
      const results = await mapLimit(pending, opts.parallel ?? 16, (t) => runHost(step, t));
      if (signal.aborted) return finish("aborted", step.id);
      // A machine whose command's fate is unknown is decided about before anything else happens there.
      const lost = pending.filter((_, i) => results[i] === "unknown").map((t) => t.host);
      if (lost.length > 0 && (await resolveUnknown(step, lost)) === "abort")
        return finish("aborted", step.id);
      const again = pending.filter((t) => state.steps[step.id]?.hosts[t.host]?.status === "pending");
      const failed = pending.filter((_, i) => results[i] === "failed");
      if (failed.length === 0 && again.length > 0) {
        pending = again;
        continue;
      }
      if (failed.length === 0) {
        const hosts = Object.values(state.steps[step.id]?.hosts ?? {});
        const none = hosts.length > 0 && hosts.every((h) => h.status === "not-applicable");
        emit({ type: "step-finished", at: now(), stepId: step.id, status: none ? "not-applicable" : "ok" });
        if (!none) completed.push(step);
        break;
      }
      if (step.keepGoing) {
        emit({ type: "step-finished", at: now(), stepId: step.id, status: "failed", goesOn: true });
        failedChecks.push(step.id);
        break;
      }
      // A rollback of some machines leaves the decision open: the operator may then retry, skip or stop.
      let d: Decision;
      for (;;) {
        d = await decide(
          step,
          decisions.afterFailure(
            step,
            failed.map((t) => t.host),
          ),
        );
        if (d.kind !== "rollback") break;
        const all = step.targets.map((t) => t.host);
        const hosts = d.hosts ?? all;
        await rollbackStep(step, hosts);
        if (all.every((h) => hosts.includes(h))) {
          emit({ type: "step-finished", at: now(), stepId: step.id, status: "rolled-back" });
          return finish("failed", step.id);
        }
      }
      if (d.kind === "retry") {
        pending = [...failed, ...again];
        continue;
      }
      if (d.kind === "skip") {
        emit({ type: "step-finished", at: now(), stepId: step.id, status: "skipped" });
        break;
      }
      emit({ type: "step-finished", at: now(), stepId: step.id, status: "failed" });
      // A step failed and the run stops there: whoever chose to stop, the run failed (exit 1).
      return finish("failed", step.id);
    }
  }
  return finish("ok");
}

/** Fills ⟨name⟩ markers in data (a file's content or path) with captured values or secrets. */
function fillText(text: string, late: (name: string) => string | undefined): string {
  return text.replace(DEFERRED, (whole, name: string) => late(name) ?? whole);
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

/** How one step ended on one machine. */
type Outcome = "ok" | "failed" | "unknown" | "not-applicable";

/** Locks are taken in one order shared by every runner: by login, then address and port. */
function lockOrder(h: PlanHost): string {
  return `${h.transport}:${h.user ?? ""}@${h.address}:${String(h.port).padStart(5, "0")}:${h.name}`;
}

/** The last few lines of a machine's output for a step, stderr kept apart: what a failure said. */
class Tails {
  private readonly kept = { stdout: [] as string[], stderr: [] as string[] };

  add(stream: "stdout" | "stderr", text: string): void {
    const lines = text.replace(/\n$/, "").split("\n");
    const kept = this.kept[stream];
    kept.push(...lines.slice(-TAIL_LINES));
    if (kept.length > TAIL_LINES) kept.splice(0, kept.length - TAIL_LINES);
  }

  /** stderr's last lines, or stdout's when the command said nothing on stderr. */
  lines(): string[] {
    return this.kept.stderr.length > 0 ? [...this.kept.stderr] : [...this.kept.stdout];
  }
}

const TAIL_LINES = 5;

/**
 * A machine's two output streams: each masked as it arrives (a secret split across chunks is held
 * back until it is whole), then grouped into whole lines.
 */
class LineStreams {
  private readonly partial = { stdout: "", stderr: "" };
  private readonly masks: Record<"stdout" | "stderr", StreamMasker>;

  constructor(
    masker: Masker,
    private readonly sink: (stream: "stdout" | "stderr", text: string) => void,
  ) {
    this.masks = { stdout: masker.stream(), stderr: masker.stream() };
  }

  write(stream: "stdout" | "stderr", raw: string): void {
    const text = this.masks[stream].push(raw);
    const all = this.partial[stream] + text;
    const cut = all.lastIndexOf("\n");
    if (cut < 0) {
      this.partial[stream] = all;
      // A progress bar without newlines must still show up; cap what is held back.
      if (all.length > 8192) this.flushStream(stream);
      return;
    }
    this.partial[stream] = all.slice(cut + 1);
    this.sink(stream, all.slice(0, cut + 1));
  }

  /** The command ended: what is held back goes out. */
  flush(): void {
    for (const stream of ["stdout", "stderr"] as const) {
      this.partial[stream] += this.masks[stream].end();
      this.flushStream(stream);
    }
  }

  private flushStream(stream: "stdout" | "stderr"): void {
    if (this.partial[stream] !== "") this.sink(stream, this.partial[stream]);
    this.partial[stream] = "";
  }
}

async function mapLimit<T, R>(items: T[], limit: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
