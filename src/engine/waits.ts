import type { PlannedWait } from "../model/plan.ts";
import { shellQuote } from "../util/shell-quote.ts";
import type { ActionContext, ActionOutcome } from "./execute-action.ts";
import { scriptOf } from "./script-of.ts";
import { STOPPED } from "./stopped.ts";

export async function fileSize(ctx: ActionContext, path: string): Promise<number> {
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
export const KEEP_STDOUT = 1024 * 1024;
/** How long a process that lost a race for its port takes to notice and exit. */
export const ALIVE_GRACE_MS = 1000;

export async function waitFor(
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
    if (ctx.signal.aborted) return { ok: false, exitCode: null, error: STOPPED, stopped: true };
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

export async function alive(ctx: ActionContext, pid: number): Promise<boolean> {
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

export async function tailOf(ctx: ActionContext, path: string): Promise<string> {
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

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
