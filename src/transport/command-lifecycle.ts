/**
 * What every transport does around one command, whatever "kill" means on its machine: a timer that
 * kills the command after `timeoutMs`, an AbortSignal (or the transport's own close()) that cancels
 * it, one kill however many causes there are, the grace period between SIGTERM and SIGKILL, and the
 * `timedOut`/`cancelled` flags of the result. The transport says how to kill (a process group here,
 * a second exec over ssh) and how the command ended; this module says what the caller is told.
 */
import type { ExecOptions, ExecResult } from "./transport.ts";

/** After SIGTERM to a killed command's group, how long before SIGKILL when a transport is not told. */
export const DEFAULT_KILL_GRACE_MS = 3000;

/** A transport's grace period: its `killGraceMs` option, else the default. */
export function killGraceOf(opts: { killGraceMs?: number }): number {
  return opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
}

/** The result for a command whose signal was aborted before it was sent: nothing ran. */
export function cancelledBeforeStart(): ExecResult {
  return { code: null, timedOut: false, cancelled: true };
}

/** How a command ended: its exit code (null when a signal killed it) and, where known, that signal. */
export interface CommandExit {
  code: number | null;
  signal?: string;
}

/**
 * One command's timeout, cancel and kill. `start()` arms the timer and listens to the signal; either
 * calls `kill` once (a timeout then a cancel, or two cancels, still kill once, but both flags stay
 * set); `end()` once the command is over stops both.
 */
export class CommandLifecycle {
  /** The timeout fired. */
  timedOut = false;
  /** The signal aborted, or `cancel()` was called. */
  cancelled = false;
  /** A kill was asked for (by either). */
  killing = false;
  /** After SIGTERM, how long before SIGKILL. */
  readonly graceMs: number;
  private timer?: ReturnType<typeof setTimeout>;
  private sigkill?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly opts: Pick<ExecOptions, "timeoutMs" | "signal">,
    killGraceMs: number,
    private readonly kill: () => void,
  ) {
    this.graceMs = killGraceMs;
  }

  /** Arms the timeout (when there is one) and listens to the signal. */
  start(): this {
    if (this.opts.timeoutMs !== undefined) {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.killOnce();
      }, this.opts.timeoutMs);
    }
    this.opts.signal?.addEventListener("abort", this.cancel, { once: true });
    return this;
  }

  /** Cancels the command as an abort of its signal does (a transport's close() uses it). */
  readonly cancel = (): void => {
    this.cancelled = true;
    this.killOnce();
  };

  /** For a signal that may have aborted before `start()` listened to it. */
  cancelIfAborted(): void {
    if (this.opts.signal?.aborted) this.cancel();
  }

  /** Runs `fn` (the SIGKILL) once the grace period is over; it does not keep the runner alive. */
  sigkillAfterGrace(fn: () => void): void {
    this.sigkill = setTimeout(fn, this.graceMs);
    this.sigkill.unref?.();
  }

  /** Drops the SIGKILL `sigkillAfterGrace` scheduled, if any, when `unneeded()` says so. */
  cancelSigkillIf(unneeded: () => boolean): void {
    if (this.sigkill && unneeded()) clearTimeout(this.sigkill);
  }

  /** The command is over: stops the timer and the listener (a scheduled SIGKILL stays). */
  end(): void {
    if (this.timer) clearTimeout(this.timer);
    this.opts.signal?.removeEventListener("abort", this.cancel);
  }

  /** What the caller is told: a killed command has no exit code, whatever the machine reported. */
  result(exit: CommandExit): ExecResult {
    const { timedOut, cancelled } = this;
    if (timedOut || cancelled) return { code: null, timedOut, cancelled };
    return { ...exit, timedOut, cancelled };
  }

  private killOnce(): void {
    if (this.killing) return;
    this.killing = true;
    this.kill();
  }
}
