/**
 * Transport on this machine, with zx.
 *
 * Commands run as `bash --noprofile --norc -c COMMAND` in the user's home directory (as over ssh,
 * where a command starts in the login user's home), in a new process group (zx `detached`), so a
 * timeout or a cancel kills the command and everything it started: SIGTERM to the group (plus zx's
 * kill of the process tree, which also reaches children that left the group), then SIGKILL after a
 * grace period.
 *
 * zx itself runs its command line with `set -euo pipefail;` in front. That applies only to the
 * one-line `bash ... -c COMMAND` zx starts; COMMAND gets a plain bash, exactly as the ssh transport
 * runs it. A runbook step must behave the same whether its machine is local or reached over ssh, and
 * runbook commands are written for plain bash: `grep -q x f || true`, `[ -n "$JAVA_HOME" ]` with an
 * unset variable, or a pipeline whose first command may fail are normal there, and `set -u`/`pipefail`
 * would turn them into failures. An author who wants strict mode writes `set -euo pipefail` in the step.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { $ } from "zx";
import { errText } from "../util/err-text.ts";
import { type Become, becomeScript, uploadAs } from "./become.ts";
import { CommandLifecycle, cancelledBeforeStart, killGraceOf } from "./command-lifecycle.ts";
import { READ_AND_RUN } from "./script-on-stdin.ts";
import type { ExecOptions, ExecResult, Transport } from "./transport.ts";
import { TransportError } from "./transport.ts";

export interface LocalTransportOptions {
  /** After SIGTERM to a killed command's group, wait this long before SIGKILL (default 3 s). */
  killGraceMs?: number;
  /** Directory commands start in and `~/` means, also set as HOME for commands (default: the user's
   * home, HOME unchanged). For tests and sandboxes. */
  home?: string;
}

export class LocalTransport implements Transport {
  private closed = false;
  private readonly home: string;
  private readonly running = new Set<() => void>();

  constructor(
    readonly host: string,
    private readonly opts: LocalTransportOptions = {},
  ) {
    this.home = opts.home ?? homedir();
  }

  async exec(script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.closed)
      throw new TransportError("closed", `the local transport of ${this.host} was closed`, this.host);
    if (opts.signal?.aborted) return cancelledBeforeStart();
    opts.onSend?.();
    const sent = opts.become ? becomeScript(script, opts.become, killGraceOf(this.opts)) : script;
    const p = $({
      quiet: true,
      nothrow: true,
      // zx keeps everything a command prints for its result; output is streamed below instead, so a
      // command that prints gigabytes keeps the runner's memory flat.
      store: { stdout: new VoidChunks(), stderr: new VoidChunks(), stdall: new VoidChunks() } as never,
      detached: true,
      cwd: this.home,
      env: { ...commandEnv(), ...(this.opts.home ? { HOME: this.home } : {}) },
      input: sent.endsWith("\n") ? sent : `${sent}\n`,
      stdio: ["pipe", "pipe", "pipe"] as const,
    })`bash --noprofile --norc -c ${READ_AND_RUN}`;
    if (p.pid !== undefined) opts.onStart?.({ pid: p.pid, id: processId(p.pid) });

    const life = new CommandLifecycle(opts, killGraceOf(this.opts), () => {
      const pid = p.pid;
      if (pid === undefined) return;
      // Freeze the group first: zx's kill lists the process tree (so children that left the group
      // with setsid are still found under bash) and signals one process at a time, and without the
      // freeze bash could see its child die and run the next command before its own SIGTERM.
      signalGroup(pid, "SIGSTOP");
      const thaw = () => {
        signalGroup(pid, "SIGTERM");
        signalGroup(pid, "SIGCONT");
      };
      try {
        p.kill("SIGTERM").then(thaw, thaw);
      } catch {
        thaw();
      }
      life.sigkillAfterGrace(() => signalGroup(pid, "SIGKILL"));
    }).start();
    this.running.add(life.cancel);

    const outDec = new TextDecoder();
    const errDec = new TextDecoder();
    p.stdout.on("data", (d: Buffer) => opts.onStdout?.(outDec.decode(d, { stream: true })));
    p.stderr.on("data", (d: Buffer) => opts.onStderr?.(errDec.decode(d, { stream: true })));
    try {
      const out = await p;
      const tailOut = outDec.decode();
      if (tailOut) opts.onStdout?.(tailOut);
      const tailErr = errDec.decode();
      if (tailErr) opts.onStderr?.(tailErr);
      const signal = out.signal ? String(out.signal).replace(/^SIG/, "") : undefined;
      return life.result({ code: out.exitCode, ...(signal ? { signal } : {}) });
    } finally {
      life.end();
      this.running.delete(life.cancel);
      // A killed group whose members all died needs no SIGKILL later.
      life.cancelSigkillIf(() => p.pid !== undefined && !groupAlive(p.pid));
    }
  }

  async open(): Promise<void> {
    if (this.closed)
      throw new TransportError("closed", `the local transport of ${this.host} was closed`, this.host);
  }

  async upload(path: string, content: string, mode: number, become?: Become): Promise<void> {
    if (become) return uploadAs(this, path, content, mode, become);
    const full = path === "~" ? this.home : path.startsWith("~/") ? join(this.home, path.slice(2)) : path;
    const target = isAbsolute(full) ? full : join(this.home, full);
    const tmp = join(
      dirname(target),
      `.${target.split("/").pop()}.runbook-${randomBytes(4).toString("hex")}.tmp`,
    );
    try {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(tmp, content, { mode });
      chmodSync(tmp, mode); // the umask applied at creation
      renameSync(tmp, target);
    } catch (e) {
      try {
        // Bun's rmSync throws EFAULT (not ENOTDIR) when a parent is a file, even with force.
        rmSync(tmp, { force: true });
      } catch {}
      throw new TransportError(
        "upload-failed",
        `cannot write ${path} on ${this.host} (local): ${errText(e)}`,
        this.host,
      );
    }
  }

  /** Kills what is still running (as a cancel would) and refuses further commands. */
  async close(): Promise<void> {
    this.closed = true;
    for (const cancel of [...this.running]) cancel();
  }
}

/**
 * The runner's environment without what it was given for itself: secrets, the key passphrase and the
 * sudo password reach a command only where the plan puts them, never through the environment.
 */
function commandEnv(): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^RUNBOOK_(SECRET_|SSH_PASSPHRASE$|BECOME_PASSWORD$)/.test(k),
    ),
  );
}

/** The same identity the ssh wrapper reports (see PROCESS_ID): start time and boot id, from /proc. */
function processId(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    return `${start}@${boot}`;
  } catch {
    return "";
  }
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {}
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A chunk store that keeps nothing (zx's `store` option takes any array-like). */
class VoidChunks {
  readonly length = 0;
  push(): number {
    return 0;
  }
  join(): string {
    return "";
  }
  reduce<U>(_fn: unknown, init: U): U {
    return init;
  }
  *[Symbol.iterator](): Iterator<string> {}
}
