import type { PlannedAction, PlannedShell, PlannedWait } from "../model/plan.ts";
import { processIdOf } from "../transport/script-on-stdin.ts";
import type { ExecResult, RemoteProcess, Transport } from "../transport/transport.ts";
import { shellQuote } from "../util/shell-quote.ts";
import { sleep } from "../util/sleep.ts";
import type { HostStatus } from "./events.ts";
import {
  hereDocument,
  type LateValue,
  NOT_APPLICABLE_EXIT,
  NOT_APPLICABLE_MARK,
  scriptOf,
} from "./script-of.ts";
import { CANCELLED } from "./state.ts";
import { NotApplicable } from "./ts-action.ts";

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
  /** Runs a TypeScript action in the runner. */
  runTs(code: string): Promise<void>;
}

export interface ActionOutcome {
  ok: boolean;
  exitCode: number | null;
  error?: string;
  captured?: string;
  /** The command said the step does not apply to this machine, and why (see not_applicable). */
  notApplicable?: string;
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
    if (ctx.signal.aborted) return { ok: false, exitCode: null, error: CANCELLED };
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
        await ctx.runTs(action.code);
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

async function runForeground(action: PlannedShell, ctx: ActionContext): Promise<ActionOutcome> {
  ctx.status("running", undefined, action.timeoutMs);
  let stdout = "";
  const na = new NotApplicableFilter((t) => ctx.output("stderr", t));
  const script = scriptOf(action.run, ctx.late);
  const res = await ctx.transport.exec(script, {
    timeoutMs: action.timeoutMs,
    signal: ctx.signal,
    onSend: ctx.sending,
    onStart: ctx.started,
    onStdout: (t) => {
      // Only what capture= or expect= needs is held, and only its last MiB: memory stays flat
      // however much a command prints (the journal has the full text).
      if (action.capture || action.expect) stdout = (stdout + t).slice(-KEEP_STDOUT);
      ctx.output("stdout", t);
    },
    onStderr: (t) => na.push(t),
  });
  na.end();
  if (res.cancelled) return { ok: false, exitCode: null, error: CANCELLED };
  if (res.timedOut)
    return { ok: false, exitCode: null, error: `timed out after ${action.timeoutMs / 1000}s` };
  if (res.code === NOT_APPLICABLE_EXIT && na.reason !== undefined) {
    ctx.output("stdout", `not applicable here: ${na.reason || "(no reason given)"}\n`);
    return { ok: false, exitCode: res.code, notApplicable: na.reason };
  }
  if (res.code !== 0) return { ok: false, exitCode: res.code, error: exitText(res) };
  if (action.expect && !new RegExp(action.expect, "m").test(stdout)) {
    return { ok: false, exitCode: res.code, error: `output does not match /${action.expect}/` };
  }
  if (action.wait) {
    const waited = await waitFor(action.wait, ctx, undefined, 0);
    if (!waited.ok) return { ...waited, exitCode: res.code };
  }
  return { ok: true, exitCode: 0, captured: action.capture ? stdout.trim() : undefined };
}

/**
 * Starts the command detached, keeps its PID, and returns once its wait (if any) is met. A log wait only
 * counts lines written after this start, so an old "boot success" from an earlier run never matches.
 */
async function runBackground(action: PlannedShell, ctx: ActionContext): Promise<ActionOutcome> {
  const log = action.log ?? `${ctx.remoteRunDir}/${ctx.stepId}.log`;
  const logOffset = action.wait?.kind === "log" ? await fileSize(ctx, action.wait.target) : 0;
  // The script goes to the background bash as a here-document on fd 3, never on its command line.
  const doc = hereDocument(`exec 3<&-; ${scriptOf(action.run, ctx.late)}`);
  const start = [
    `mkdir -p "$(dirname ${shellQuote(log)})"`,
    `setsid nohup bash --noprofile --norc /dev/fd/3 > ${shellQuote(log)} 2>&1 < /dev/null ${doc.open} &`,
    doc.body.trimEnd(),
    "__rb_p=$!",
    processIdOf("$__rb_p", "__rb_pid_id"),
    'echo "$__rb_p $__rb_pid_id"',
  ].join("\n");
  let pidText = "";
  const res = await ctx.transport.exec(start, {
    timeoutMs: 30_000,
    signal: ctx.signal,
    onSend: ctx.sending,
    onStdout: (t) => {
      pidText += t;
    },
    onStderr: (t) => ctx.output("stderr", t),
  });
  const [pidWord = "", id = ""] = pidText.trim().split(" ");
  const pid = Number(pidWord);
  if (res.code !== 0 || !Number.isInteger(pid) || pid <= 1) {
    return {
      ok: false,
      exitCode: res.code,
      error: `could not start the background command (exit ${res.code})`,
    };
  }
  // What may keep running is the background process, not the launcher: that is the one to check.
  ctx.started({ pid, id });
  ctx.output("stdout", `started in the background, pid ${pid}, output in ${log}\n`);
  if (!action.wait) return { ok: true, exitCode: 0, captured: undefined };
  const waited = await waitFor(action.wait, ctx, { pid, log }, logOffset);
  // A port or command may answer for an older process (a second server that failed to bind, say):
  // the one we started must still be running.
  if (waited.ok && action.wait.kind !== "log") await sleep(ALIVE_GRACE_MS, ctx.signal);
  if (waited.ok && action.wait.kind !== "log" && !(await alive(ctx, pid))) {
    const tail = await tailOf(ctx, log);
    return {
      ok: false,
      exitCode: null,
      error: `the background process (pid ${pid}) exited although ${describeWait(action.wait)} answered${tail ? `; last output:\n${tail}` : ""}`,
    };
  }
  return waited;
}

async function fileSize(ctx: ActionContext, path: string): Promise<number> {
  let out = "";
  await ctx.transport.exec(`stat -c %s ${quotePath(path)} 2>/dev/null || echo 0`, {
    timeoutMs: 10_000,
    signal: ctx.signal,
    onStdout: (t) => {
      out += t;
    },
  });
  return Number(out.trim()) || 0;
}

/** Paths in attributes are not shell-quoted by the planner; quote here, keeping `~/` meaning home. */
function quotePath(path: string): string {
  return shellQuote(path);
}

const POLL_MS = 500;
const KEEP_STDOUT = 1024 * 1024;
/** How long a process that lost a race for its port takes to notice and exit. */
const ALIVE_GRACE_MS = 1000;

async function waitFor(
  wait: PlannedWait,
  ctx: ActionContext,
  proc: { pid: number; log: string } | undefined,
  logOffset: number,
): Promise<ActionOutcome> {
  const deadline = Date.now() + wait.timeoutMs;
  ctx.status("waiting", describeWait(wait), wait.timeoutMs);
  const pattern = wait.pattern ? new RegExp(wait.pattern) : undefined;
  let offset = logOffset;
  let pending = "";
  while (Date.now() < deadline) {
    if (ctx.signal.aborted) return { ok: false, exitCode: null, error: CANCELLED };
    switch (wait.kind) {
      case "log": {
        const { text, size } = await readFrom(ctx, wait.target, offset);
        if (size < offset)
          offset = 0; // rotated or truncated: read it again from the start
        else if (text !== "") {
          offset += Buffer.byteLength(text);
          ctx.output("stdout", text);
          pending += text;
          const lines = pending.split("\n");
          pending = lines.pop() ?? "";
          if (pattern && [...lines, pending].some((l) => pattern.test(l))) return { ok: true, exitCode: 0 };
        }
        break;
      }
      case "port": {
        const [host, port] = wait.target.includes(":") ? wait.target.split(":") : ["127.0.0.1", wait.target];
        const r = await ctx.transport.exec(`exec 3<>${shellQuote(`/dev/tcp/${host}/${port}`)}`, {
          timeoutMs: 5000,
          signal: ctx.signal,
        });
        if (r.code === 0) return { ok: true, exitCode: 0 };
        break;
      }
      case "command": {
        const r = await ctx.transport.exec(wait.run ? scriptOf(wait.run, ctx.late) : wait.target, {
          timeoutMs: Math.max(1000, deadline - Date.now()),
          signal: ctx.signal,
        });
        if (r.code === 0) return { ok: true, exitCode: 0 };
        break;
      }
    }
    if (proc && !(await alive(ctx, proc.pid))) {
      const tail = await tailOf(ctx, proc.log);
      return {
        ok: false,
        exitCode: null,
        error: `the background process (pid ${proc.pid}) exited before ${describeWait(wait)}${tail ? `; last output:\n${tail}` : ""}`,
      };
    }
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())), ctx.signal);
  }
  return {
    ok: false,
    exitCode: null,
    error: `timed out after ${wait.timeoutMs / 1000}s waiting for ${describeWait(wait)}`,
  };
}

async function readFrom(
  ctx: ActionContext,
  path: string,
  offset: number,
): Promise<{ text: string; size: number }> {
  let out = "";
  const q = quotePath(path);
  await ctx.transport.exec(
    `s=$(stat -c %s ${q} 2>/dev/null || echo 0); echo "$s"; if [ "$s" -ge ${offset} ]; then tail -c +${offset + 1} ${q} | head -c 1048576; fi`,
    {
      timeoutMs: 10_000,
      signal: ctx.signal,
      onStdout: (t) => {
        out += t;
      },
    },
  );
  const nl = out.indexOf("\n");
  const size = Number(out.slice(0, nl)) || 0;
  return { text: size < offset ? "" : out.slice(nl + 1), size };
}

async function alive(ctx: ActionContext, pid: number): Promise<boolean> {
  // A zombie still answers kill -0: an exited child that nobody has reaped yet is not alive.
  const r = await ctx.transport.exec(
    `kill -0 ${pid} 2>/dev/null && [ "$(ps -o stat= -p ${pid} 2>/dev/null | cut -c1)" != Z ]`,
    {
      timeoutMs: 5000,
      signal: ctx.signal,
    },
  );
  return r.code === 0;
}

async function tailOf(ctx: ActionContext, path: string): Promise<string> {
  let out = "";
  await ctx.transport.exec(`tail -n 20 ${quotePath(path)} 2>/dev/null`, {
    timeoutMs: 5000,
    onStdout: (t) => {
      out += t;
    },
  });
  return out.trimEnd();
}

export function describeWait(w: PlannedWait): string {
  switch (w.kind) {
    case "log":
      return `/${w.pattern}/ in ${w.target}`;
    case "port":
      return `port ${w.target}`;
    case "command":
      return `\`${w.target.trim()}\` to succeed`;
  }
}

/**
 * Takes not_applicable's marker line out of a command's stderr (it is for the runner, not the
 * operator) and keeps its reason; everything else passes as it came.
 */
class NotApplicableFilter {
  reason: string | undefined;
  private held = "";

  constructor(private readonly out: (text: string) => void) {}

  push(chunk: string): void {
    const text = this.held + chunk;
    this.held = "";
    const at = text.indexOf(NOT_APPLICABLE_MARK);
    if (at < 0) {
      // A marker may be cut between two chunks: hold back a tail that could be its start.
      const rs = text.lastIndexOf("\x1e");
      if (rs >= 0 && NOT_APPLICABLE_MARK.startsWith(text.slice(rs))) {
        this.held = text.slice(rs);
        if (rs > 0) this.out(text.slice(0, rs));
      } else this.out(text);
      return;
    }
    const nl = text.indexOf("\n", at);
    if (nl < 0) {
      if (at > 0) this.out(text.slice(0, at));
      this.held = text.slice(at);
      return;
    }
    this.reason = text.slice(at + NOT_APPLICABLE_MARK.length, nl).trim();
    const rest = text.slice(0, at) + text.slice(nl + 1);
    if (rest !== "") this.out(rest);
  }

  end(): void {
    if (this.held === "") return;
    const held = this.held;
    this.held = "";
    if (held.startsWith(NOT_APPLICABLE_MARK)) this.reason = held.slice(NOT_APPLICABLE_MARK.length).trim();
    else this.out(held);
  }
}

/** Why a command ended badly, as the operator should read it. */
export function exitText(res: ExecResult): string {
  if (res.code === null && res.signal) return `killed by signal ${res.signal}`;
  if (res.code === null) return "ended without an exit code (killed, or the connection dropped)";
  return `exit code ${res.code}`;
}
