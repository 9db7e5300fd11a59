/**
 * Commands on one SSH connection: opening an exec channel (retried while the server's session limit
 * is reached), following a command (its markers, output, timeout, cancel and kill, and what its end
 * means), the helper commands (the probe, the kill), and how many commands run at once.
 * See remote-command.ts for what runs on the machine.
 */
import type { Client, ClientChannel } from "ssh2";
import { errText } from "../../util/err-text.ts";
import { sleep } from "../../util/sleep.ts";
import { CommandLifecycle } from "../command-lifecycle.ts";
import { type ExecOptions, type ExecResult, TransportError } from "../transport.ts";
import type { Peer } from "./peer.ts";
import { killCommand, RS, STDERR_MARKER, STDOUT_MARKER } from "./remote-command.ts";

/** A command in flight: `cancel` kills it, `lost` tells it the connection is gone. */
export interface RunningCommand {
  cancel(): void;
  lost(): void;
  done: Promise<unknown>;
}

/** What commands on one connection need from the transport. */
export interface ExecContext {
  client: Client;
  peer: Peer;
  /** close() was called: errors then say "closed". */
  closed(): boolean;
  /** After SIGTERM to a killed command's group, how long before SIGKILL. */
  graceMs(): number;
  running: Set<RunningCommand>;
}

/** Exit status of each exec channel (code null: killed by a signal), recorded as soon as it is open. */
const exitCodes = new WeakMap<ClientChannel, { code: number | null; signal?: string }>();

export async function openExec(ctx: ExecContext, cmd: string, attempts = 40): Promise<ClientChannel> {
  for (let i = 1; ; i++) {
    try {
      return await execChannel(ctx.client, cmd);
    } catch (e) {
      // "open failed": the server's session limit (MaxSessions) is reached for a moment.
      const retry = /open failed|prohibited|resource shortage/i.test(errText(e)) && i < attempts;
      if (!retry) {
        throw new TransportError(
          ctx.closed() ? "closed" : "connect-failed",
          `cannot start a command on ${ctx.peer.label}: ${errText(e)}`,
          ctx.peer.host,
        );
      }
      await sleep(Math.min(25 * i, 200));
    }
  }
}

function execChannel(client: Client, cmd: string): Promise<ClientChannel> {
  return new Promise<ClientChannel>((res, rej) => {
    try {
      client.exec(cmd, (err, ch) => {
        if (err) return rej(err);
        // Synchronously: with a fast command, ssh2 can emit "exit" in the same tick as this
        // callback, before a listener attached after an await would see it.
        ch.once("exit", (code: number | null, signal?: string) =>
          exitCodes.set(ch, {
            code: typeof code === "number" ? code : null,
            signal: typeof signal === "string" ? signal.replace(/^SIG/, "") : undefined,
          }),
        );
        res(ch);
      });
    } catch (e) {
      rej(e);
    }
  });
}

/**
 * Sends the script on the channel's stdin and follows the command to its end. A timeout or a cancel
 * kills its process group with a second exec; a lost connection with no exit status rejects ("lost").
 */
export function follow(
  ctx: ExecContext,
  ch: ClientChannel,
  script: string,
  opts: ExecOptions,
): Promise<ExecResult> {
  return new Promise<ExecResult>((resolve, reject) => {
    let pgid: number | undefined;
    let lost = false;
    let forceTimer: ReturnType<typeof setTimeout> | undefined;

    const output = new CommandOutput(opts, (pid, id) => {
      pgid = pid;
      opts.onStart?.({ pid, id });
      if (life.killing) void killGroup(ctx, pid);
    });
    const life = new CommandLifecycle(opts, ctx.graceMs(), () => {
      if (pgid !== undefined) {
        void killGroup(ctx, pgid).then(() => {
          // The group is dead; the channel closes when the wrapper sees it. Do not wait forever.
          forceTimer = setTimeout(() => ch.close(), 2000);
        });
      } else {
        // Not started yet: the marker handler kills it as soon as the group exists.
        forceTimer = setTimeout(() => ch.close(), life.graceMs + 3000);
      }
    }).start();
    let settle = () => {};
    const entry: RunningCommand = {
      cancel: life.cancel,
      lost: () => {
        lost = true;
      },
      done: new Promise<void>((r) => {
        settle = r;
      }),
    };
    ctx.running.add(entry);

    ch.on("data", (d: Buffer) => output.out.push(d));
    ch.stderr.on("data", (d: Buffer) => output.err.push(d));
    ch.on("error", () => {});
    ch.on("close", () => {
      const exit = exitCodes.get(ch);
      const exitCode = exit?.code;
      life.end();
      if (forceTimer) clearTimeout(forceTimer);
      ctx.running.delete(entry);
      settle();
      output.end();
      // No exit status and no connection: the command may have finished, failed, or still run there
      // (a kill sent for a timeout or a stop may never have arrived).
      if (exitCode === undefined && lost) reject(lostError(ctx));
      else resolve(life.result({ code: exitCode ?? null, signal: exit?.signal }));
    });

    ch.end(script.endsWith("\n") ? script : `${script}\n`);
    life.cancelIfAborted();
  });
}

function lostError(ctx: ExecContext): TransportError {
  const closed = ctx.closed();
  return new TransportError(
    closed ? "closed" : "lost",
    closed
      ? `the connection to ${ctx.peer.label} was closed while a command was running`
      : `lost the connection to ${ctx.peer.label} while a command was running: it may have finished, failed, or still be running there`,
    ctx.peer.host,
  );
}

/** Runs a helper command through the login shell and returns its stdout. */
export async function capture(ctx: ExecContext, cmd: string): Promise<string> {
  const ch = await openExec(ctx, cmd);
  return new Promise<string>((res) => {
    let out = "";
    ch.on("data", (d: Buffer) => {
      out += d.toString("utf8");
    });
    ch.stderr.on("data", () => {});
    ch.on("error", () => {});
    ch.on("close", () => res(out));
    ch.end();
  });
}

/** Kills a process group on the machine: SIGTERM, then SIGKILL after the grace period. */
async function killGroup(ctx: ExecContext, pgid: number): Promise<void> {
  try {
    const ch = await openExec(ctx, killCommand(pgid, ctx.graceMs()));
    await new Promise<void>((res) => {
      ch.on("data", () => {});
      ch.stderr.on("data", () => {});
      ch.on("error", () => {});
      ch.on("close", () => res());
      ch.end();
    });
  } catch {
    // The connection is gone: nothing more can be done from here.
  }
}

/** A command's stdout and stderr: markers taken out, decoded as UTF-8 across chunks. */
class CommandOutput {
  readonly out: MarkerFilter;
  readonly err: MarkerFilter;
  private readonly outDec = new TextDecoder();
  private readonly errDec = new TextDecoder();

  /** `started` gets the group id and process identity the stdout marker carries. */
  constructor(
    private readonly opts: ExecOptions,
    started: (pgid: number, id: string) => void,
  ) {
    this.out = new MarkerFilter(
      STDOUT_MARKER,
      (b) => opts.onStdout?.(this.outDec.decode(b, { stream: true })),
      (v) => {
        const [pid = "", id = ""] = v.split(":");
        started(Number(pid), id);
      },
    );
    this.err = new MarkerFilter(STDERR_MARKER, (b) =>
      opts.onStderr?.(this.errDec.decode(b, { stream: true })),
    );
  }

  /** The channel closed: what is still buffered or half-decoded goes out. */
  end(): void {
    this.out.end();
    this.err.end();
    const tailOut = this.outDec.decode();
    if (tailOut) this.opts.onStdout?.(tailOut);
    const tailErr = this.errDec.decode();
    if (tailErr) this.opts.onStderr?.(tailErr);
  }
}

/**
 * Passes a stream through once its marker (`prefix` + value + RS) was seen, dropping what came
 * before it (login shell noise).
 */
class MarkerFilter {
  private buf: Buffer | null = Buffer.alloc(0);
  constructor(
    private readonly prefix: string,
    private readonly out: (b: Buffer) => void,
    private readonly onMarker?: (value: string) => void,
  ) {}

  push(d: Buffer): void {
    if (this.buf === null) {
      this.out(d);
      return;
    }
    this.buf = Buffer.concat([this.buf, d]);
    // latin1 keeps one character per byte, so string offsets are buffer offsets.
    const text = this.buf.toString("latin1");
    const at = text.indexOf(this.prefix);
    if (at < 0) return;
    const end = text.indexOf(RS, at + this.prefix.length);
    if (end < 0) return;
    const value = text.slice(at + this.prefix.length, end);
    const rest = this.buf.subarray(end + 1);
    this.buf = null;
    this.onMarker?.(value);
    if (rest.length > 0) this.out(rest);
  }

  /** No marker came (bash missing on the machine, say): pass everything on so the error is seen. */
  end(): void {
    if (this.buf && this.buf.length > 0) this.out(this.buf);
    this.buf = null;
  }
}

/** At most `max` commands at once on one connection; the others wait their turn, in order. */
export class Slots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}

  async acquire(): Promise<void> {
    if (this.active < this.max) {
      this.active++;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
