import type { PlannedAction } from "../model/plan.ts";
import type { ExecResult, RemoteProcess, Transport } from "../transport/transport.ts";
import type { HostStatus } from "./events.ts";
import type { LateValue } from "./script-of.ts";
import { runBackground, runForeground } from "./shell-action.ts";
import { STOPPED } from "./stopped.ts";
import { NotApplicable } from "./ts-action.ts";
import { sleep } from "./waits.ts";

export interface ActionContext {
  transport: Transport;
  /** Values bound at run time: captured on this machine, or secrets. */
  late: LateValue;
  /** The action's command is about to be sent to the machine (it may run from here on). */
  sending(): void;
  /** It started on the machine (its process group, for a later check). */
  started(process: RemoteProcess): void;
  stepId: string;
  /** Directory on the machine for this run's files (background logs). */
  remoteRunDir: string;
  signal: AbortSignal;
  output(stream: "stdout" | "stderr", text: string): void;
  status(status: HostStatus, detail?: string, timeoutMs?: number): void;
  /** Runs a TypeScript action in the runner, failing it after `timeoutMs`. */
  runTs(code: string, timeoutMs: number): Promise<void>;
}

export interface ActionOutcome {
  ok: boolean;
  exitCode: number | null;
  error?: string;
  captured?: string;
  /** The command said the step does not apply to this machine, and why (see not_applicable). */
  notApplicable?: string;
  /** It was stopped (q, Ctrl-C, a signal): not a failure of its own. */
  stopped?: boolean;
  /** The machine refused the runner (a host key, a login). */
  refused?: boolean;
}

/** Runs one action on one machine, with its retries. Never throws for a failing command. */
export async function executeAction(action: PlannedAction, ctx: ActionContext): Promise<ActionOutcome> {
  const retries = action.kind === "file" ? 0 : action.retries;
  const delay = action.kind === "file" ? 0 : action.retryDelayMs;
  let outcome: ActionOutcome = { ok: false, exitCode: null };
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) {
      const wait = delay * 2 ** (attempt - 1);
      ctx.status("running", `retry ${attempt} of ${retries} in ${Math.round(wait / 1000)}s`);
      ctx.output(
        "stderr",
        `runbook: attempt ${attempt} failed (${outcome.error}); retrying in ${Math.round(wait / 1000)}s\n`,
      );
      await sleep(wait, ctx.signal);
    }
    if (ctx.signal.aborted) return { ok: false, exitCode: null, error: STOPPED, stopped: true };
    outcome = await executeOnce(action, ctx);
    if (outcome.ok || outcome.notApplicable !== undefined) return outcome;
  }
  return outcome;
}

async function executeOnce(action: PlannedAction, ctx: ActionContext): Promise<ActionOutcome> {
  switch (action.kind) {
    case "file":
      try {
        await ctx.transport.upload(action.path, action.content, Number.parseInt(action.mode, 8));
        ctx.output("stdout", `wrote ${action.path} (${action.content.length} bytes, mode ${action.mode})\n`);
        return { ok: true, exitCode: 0 };
      } catch (e) {
        return { ok: false, exitCode: null, error: `writing ${action.path} failed: ${(e as Error).message}` };
      }
    case "ts":
      try {
        ctx.sending();
        await ctx.runTs(action.code, action.timeoutMs);
        return { ok: true, exitCode: 0 };
      } catch (e) {
        if (e instanceof NotApplicable) {
          ctx.output("stdout", `not applicable here: ${e.message || "(no reason given)"}\n`);
          return { ok: false, exitCode: null, notApplicable: e.message };
        }
        return { ok: false, exitCode: null, error: `ts action failed: ${(e as Error).message}` };
      }
    case "shell":
      return action.background ? runBackground(action, ctx) : runForeground(action, ctx);
  }
}

/** Why a command ended badly, as the operator should read it. */
export function exitText(res: ExecResult): string {
  if (res.code === null && res.signal) return `killed by signal ${res.signal}`;
  if (res.code === null) return "ended without an exit code (killed, or the connection dropped)";
  return `exit code ${res.code}`;
}
