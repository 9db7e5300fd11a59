import {
  DEFERRED,
  type PlanHost,
  type PlannedAction,
  type PlannedStep,
  type PlannedTarget,
} from "../model/plan.ts";
import { asUser } from "../transport/become.ts";
import { type Transport, TransportError } from "../transport/transport.ts";
import type { HostStatus } from "./events.ts";
import { type ActionContext, executeAction } from "./execute-action.ts";
import { LineStreams, Tails } from "./output-streams.ts";
import { lateValues, type RunContext } from "./run-context.ts";
import { runTsAction } from "./ts-action.ts";

/** How one step ended on one machine. */
export type Outcome = "ok" | "failed" | "unknown" | "not-applicable";

/** A machine's output for a step, masked as it streams, in whole lines, on the event stream. */
export function outputOf(ctx: RunContext, stepId: string, host: string, tails?: Tails): LineStreams {
  return new LineStreams(ctx.masker, (stream, text) => {
    ctx.emit({ type: "output", at: ctx.now(), stepId, host, stream, text });
    tails?.add(stream, text);
    ctx.gc.add(text.length);
  });
}

/**
 * One step on one machine: its actions in order, each with its retries and waits, values known only at
 * run time filled in, output streamed. Ends with one host-finished event, whatever happens.
 */
export async function runHostStep(
  ctx: RunContext,
  step: PlannedStep,
  target: PlannedTarget,
): Promise<Outcome> {
  const host = target.host;
  const started = Date.now();
  ctx.emit({ type: "host-status", at: ctx.now(), stepId: step.id, host, status: "running" });
  const tails = new Tails();
  const streams = outputOf(ctx, step.id, host, tails);
  const finished = (
    outcome: Outcome,
    end: { exitCode: number | null; error?: string; detail?: string; refused?: boolean; stopped?: boolean },
  ) => {
    const tail = outcome === "failed" || outcome === "unknown" ? tails.lines() : [];
    ctx.emit({
      type: "host-finished",
      at: ctx.now(),
      stepId: step.id,
      host,
      status: outcome,
      exitCode: end.exitCode,
      durationMs: Date.now() - started,
      ...(end.error === undefined ? {} : { error: end.error }),
      ...(end.detail === undefined ? {} : { detail: end.detail }),
      ...(tail.length > 0 ? { tail } : {}),
      ...(end.stopped ? { stopped: true } : {}),
      ...(end.refused ? { refused: true } : {}),
    });
    return outcome;
  };
  let transport: Transport;
  try {
    transport = await ctx.session.connect(host);
  } catch (e) {
    return finished("failed", { exitCode: null, error: (e as Error).message, refused: refusedBy(e) });
  }
  for (const action of target.actions) {
    const become = ctx.session.become(action.as);
    const actx = actionContext(ctx, step, host, become ? asUser(transport, become) : transport, streams);
    let outcome: Awaited<ReturnType<typeof executeAction>>;
    try {
      outcome = await executeAction(filled(action, actx.late), actx);
    } catch (e) {
      streams.flush();
      // The connection went away while the command ran: whether it ran is not known.
      if (e instanceof TransportError && e.code === "lost")
        return finished("unknown", { exitCode: null, error: e.message });
      // The machine refused us mid-step (host key, authentication), or a value was missing.
      outcome = { ok: false, exitCode: null, error: (e as Error).message, refused: refusedBy(e) };
    }
    streams.flush();
    if (outcome.captured !== undefined && action.kind === "shell" && action.capture)
      actx.capture(action.capture, outcome.captured);
    if (outcome.notApplicable !== undefined)
      return finished("not-applicable", { exitCode: outcome.exitCode, detail: outcome.notApplicable });
    if (!outcome.ok) return finished("failed", outcome);
  }
  return finished("ok", { exitCode: 0 });
}

/** What an action needs of the run, for this step on this machine. */
function actionContext(
  ctx: RunContext,
  step: PlannedStep,
  host: string,
  transport: Transport,
  streams: LineStreams,
): ActionContext & { capture(name: string, value: string): void } {
  const at = ctx.now;
  const capture = (name: string, value: string) =>
    ctx.emit({ type: "captured", at: at(), stepId: step.id, host, name, value: ctx.masker.mask(value) });
  const vars = ctx.plan.hosts.find((h) => h.name === host)?.vars ?? {};
  const output = (stream: "stdout" | "stderr", text: string) => streams.write(stream, text);
  return {
    transport,
    late: lateValues(ctx, host),
    capture,
    sending: () => ctx.emit({ type: "command-sent", at: at(), stepId: step.id, host }),
    started: (p) =>
      ctx.emit({ type: "command-started", at: at(), stepId: step.id, host, pid: p.pid, id: p.id }),
    stepId: step.id,
    remoteRunDir: `~/.runbook/runs/${ctx.opts.runId}`,
    signal: ctx.signal,
    output,
    status: (status: HostStatus, detail?: string, timeoutMs?: number) =>
      ctx.emit({
        type: "host-status",
        at: at(),
        stepId: step.id,
        host,
        status,
        ...(detail === undefined ? {} : { detail }),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      }),
    runTs: (code, timeoutMs) =>
      runTsAction(code, {
        vars,
        host: ctx.plan.hosts.find((h) => h.name === host) as PlanHost,
        transport,
        signal: ctx.signal,
        timeoutMs,
        output,
        capture,
      }),
  };
}

/** A file block's content and path get the values known only at run time; they are data, not shell. */
function filled(action: PlannedAction, late: (name: string) => string | undefined): PlannedAction {
  if (action.kind !== "file") return action;
  const fill = (text: string) => text.replace(DEFERRED, (whole, name: string) => late(name) ?? whole);
  return { ...action, content: fill(action.content), path: fill(action.path) };
}

/** A machine that refuses the runner (host key, login) makes the run end refused (exit 4), not failed. */
function refusedBy(e: unknown): boolean {
  return (
    e instanceof TransportError && e.code !== "connect-failed" && e.code !== "closed" && e.code !== "lost"
  );
}
