import type { PlannedShell } from "../model/plan.ts";
import { processIdOf } from "../transport/script-on-stdin.ts";
import { shellQuote } from "../util/shell-quote.ts";
import type { ActionContext, ActionOutcome } from "./execute-action.ts";
import { exitText } from "./execute-action.ts";
import { hereDocument, NOT_APPLICABLE_EXIT, NOT_APPLICABLE_MARK, scriptOf } from "./script-of.ts";
import { STOPPED } from "./stopped.ts";
import {
  ALIVE_GRACE_MS,
  alive,
  describeWait,
  fileSize,
  KEEP_STDOUT,
  sleep,
  tailOf,
  waitFor,
} from "./waits.ts";

export async function runForeground(action: PlannedShell, ctx: ActionContext): Promise<ActionOutcome> {
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
  if (res.cancelled) return { ok: false, exitCode: null, error: STOPPED, stopped: true };
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
export async function runBackground(action: PlannedShell, ctx: ActionContext): Promise<ActionOutcome> {
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
