/**
 * Transport over SSH (ssh2): one persistent connection per machine, host keys checked against
 * known_hosts, commands run by bash in their own process group so a timeout or a cancel can kill the
 * command and everything it started.
 *
 * How a command runs on the machine (see remoteCommand):
 *   login shell -c 'exec setsid -w bash --noprofile --norc -c MARK_AND_RUN bash COMMAND'
 *   setsid makes a new session, so a new process group whose id is that bash's PID; the bash prints
 *   "\x1erb-start\x1e" on stderr and "\x1erb-pgid:<its pid>\x1e" on stdout, then evals COMMAND.
 *   Everything before the markers (login shell noise from rc files) is dropped. `setsid -w` waits and
 *   passes the exit status on. Machines without `setsid -w` get PORTABLE_WRAPPER (probed once per
 *   connection).
 *   To kill (timeout, AbortSignal, close()): a second exec on the same connection runs
 *   `kill -STOP/-TERM/-CONT -- -PGID`, then SIGKILL after the grace period if a member is still alive.
 *   The wrapper sees its child die and the channel closes; exec resolves with code null. (Closing an
 *   ssh channel without a pty does not stop the remote command, and the ssh "signal" request is
 *   refused for root logins, so neither is used.) A process that left the group on purpose (its own
 *   setsid, a daemon) is not killed.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { join, posix } from "node:path";
import {
  type AnyAuthMethod,
  Client,
  type ClientChannel,
  type ServerHostKeyAlgorithm,
  type SFTPWrapper,
  utils,
} from "ssh2";
import type { Host } from "../model/inventory.ts";
import { sleep } from "../util/sleep.ts";
import { CommandLifecycle, cancelledBeforeStart, killGraceOf } from "./command-lifecycle.ts";
import {
  appendKnownHost,
  fingerprint,
  type KnownHostsEntry,
  keyTypeOf,
  knownHostsName,
  listedKeyTypes,
  lookupHostKey,
  readKnownHosts,
} from "./known-hosts.ts";
import { PROCESS_ID, READ_AND_RUN } from "./script-on-stdin.ts";
import {
  type ExecOptions,
  type ExecResult,
  type HostKeyDecider,
  type Transport,
  TransportError,
} from "./transport.ts";

/** Asked for the passphrase of an encrypted key; `attempt` is 1 first, more after a wrong one. */
export type PassphraseSource = (q: {
  host: string;
  identity: string;
  attempt: number;
}) => Promise<string | undefined>;

export interface SshTransportOptions {
  /** Asked about a host key not in known_hosts. Default: refuse (non-interactive). */
  decideHostKey?: HostKeyDecider;
  /** Asked for the passphrase of an encrypted identity file. Default: none (such keys fail). */
  passphrase?: PassphraseSource;
  /** Handshake + authentication time limit, not counting a host key question (default 20 s). */
  connectTimeoutMs?: number;
  /** SSH keepalive interval (default 15 s; the connection is dropped after 4 unanswered). */
  keepaliveMs?: number;
  /** Commands running at once on the connection (default 6; OpenSSH allows 10 sessions). */
  maxParallel?: number;
  /** After SIGTERM to a killed command's group, wait this long before SIGKILL (default 3 s). */
  killGraceMs?: number;
  /** How commands are wrapped on the machine; "auto" (default) probes for `setsid -w` once. */
  wrapper?: WrapperKind | "auto";
}

/** A non-interactive decider: every unknown host key is refused. */
export const refuseUnknownHostKeys: HostKeyDecider = async () => false;

/** Wraps a passphrase source so each key is asked once for all machines that use it. */
export function rememberPassphrases(ask: PassphraseSource): PassphraseSource {
  const known = new Map<string, Promise<string | undefined>>();
  return (q) => {
    const cached = known.get(q.identity);
    if (q.attempt === 1 && cached) return cached;
    const p = ask(q);
    known.set(q.identity, p);
    return p;
  };
}

/** POSIX single quoting. */
function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Markers are framed by the ASCII record separator: `\x1erb-pgid:123:…\x1e` and `\x1erb-start\x1e`. */
const RS = "\x1e";
const STDOUT_MARKER = `${RS}rb-pgid:`;
const STDERR_MARKER = `${RS}rb-start`;

/**
 * Prints the markers (the group id, with what tells this process from a later one with the same PID),
 * then runs the script that arrives on standard input (see READ_AND_RUN).
 */
const MARK_AND_RUN = `printf '\\036rb-start\\036' >&2
${PROCESS_ID}
printf '\\036rb-pgid:%s:%s\\036' "$$" "$__rb_id"
${READ_AND_RUN}`;

/**
 * For machines without `setsid -w` (util-linux before 2.27, or no util-linux): bash starts the
 * command in the background under setsid (a background job of a non-interactive shell is not a group
 * leader, so setsid does not fork and $! is the new group's id), hands it stdin and waits for it.
 * Without setsid at all, the command runs in the session sshd made for the channel (OpenSSH calls
 * setsid for every session), whose group id is the shell's PID.
 */
const PORTABLE_WRAPPER = `if command -v setsid >/dev/null 2>&1; then
  exec 3<&0
  setsid bash --noprofile --norc -c ${q(MARK_AND_RUN)} bash <&3 3<&- &
  exec 3<&- </dev/null
  wait "$!"
else
  ${MARK_AND_RUN}
fi`;

export type WrapperKind = "setsid-wait" | "portable";

/**
 * The exec request: bash runs, in a new session (so a new process group), the script that the
 * transport then writes to the channel's standard input, and reports the group id on stdout before
 * anything else. The request itself is the same for every command: no command, value or secret ever
 * stands on a command line on the machine. With "setsid-wait" the login shell execs `setsid -w bash`
 * directly (one shell less: about 4 ms per command on a small machine).
 */
export function remoteCommand(kind: WrapperKind = "portable"): string {
  if (kind === "portable") return `exec bash --noprofile --norc -c ${q(PORTABLE_WRAPPER)} bash`;
  // setsid's own complaint when its child is killed ("setsid: child 123 did not exit normally") is
  // not the command's output: setsid's stderr goes nowhere, the command gets the channel's back.
  return `exec setsid -w bash --noprofile --norc -c ${q(`exec 2>&3 3>&-
${MARK_AND_RUN}`)} bash 3>&2 2>/dev/null`;
}

/** Asks the login shell whether `setsid -w` works there. */
const PROBE = "setsid -w true </dev/null >/dev/null 2>&1 && echo rb-setsid-w";

/**
 * SIGTERM to the group (frozen meanwhile, so no member runs on between the signals), then SIGKILL once
 * the grace period is over; zombies do not count as alive.
 */
function killCommand(pgid: number, graceMs: number): string {
  const rounds = Math.max(1, Math.ceil(graceMs / 50));
  const script = `p=${pgid}
kill -STOP -- -$p 2>/dev/null || exit 0
kill -TERM -- -$p 2>/dev/null
kill -CONT -- -$p 2>/dev/null
alive() {
  if command -v ps >/dev/null 2>&1; then
    ps -e -o pgid= -o stat= 2>/dev/null | awk -v p="$p" '$1 == p && $2 !~ /^Z/ { f = 1 } END { exit !f }'
  else
    kill -0 -- -$p 2>/dev/null
  fi
}
i=0
while alive; do
  i=$((i+1))
  if [ "$i" -ge ${rounds} ]; then kill -KILL -- -$p 2>/dev/null; exit 0; fi
  sleep 0.05
done`;
  return `exec bash --noprofile --norc -c ${q(script)}`;
}

export class SshTransport implements Transport {
  readonly host: string;
  /** How many SSH connections this transport has opened (1 while the connection stays up). */
  connectCount = 0;
  private readonly user: string;
  private readonly label: string;
  private conn?: Promise<Client>;
  private client?: Client;
  private sftpSession?: Promise<SFTPWrapper>;
  private home?: Promise<string>;
  private closed = false;
  private wrapper: WrapperKind = "portable";
  private readonly slots: Slots;
  /** Commands in flight: `cancel` kills one, `lost` tells it the connection is gone. */
  private readonly running = new Set<{ cancel(): void; lost(): void; done: Promise<unknown> }>();

  constructor(
    private readonly machine: Host,
    private readonly opts: SshTransportOptions = {},
  ) {
    this.host = machine.name;
    this.user = machine.user ?? userInfo().username;
    this.label = `${machine.name} (${this.user}@${machine.address}:${machine.port})`;
    this.slots = new Slots(opts.maxParallel ?? 6);
  }

  async exec(script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (opts.signal?.aborted) return cancelledBeforeStart();
    const client = await this.connection();
    await this.slots.acquire();
    try {
      if (opts.signal?.aborted) return cancelledBeforeStart();
      opts.onSend?.();
      const channel = await this.openExec(client, remoteCommand(this.wrapper));
      return await this.follow(client, channel, script, opts);
    } finally {
      this.slots.release();
    }
  }

  /** Logs in now (host key, authentication), rather than at the first command. */
  async open(): Promise<void> {
    await this.connection();
  }

  async upload(path: string, content: string, mode: number): Promise<void> {
    const client = await this.connection();
    const fail = (e: unknown): never => {
      if (e instanceof TransportError) throw e;
      throw new TransportError(
        "upload-failed",
        `cannot write ${path} on ${this.label}: ${errText(e)}`,
        this.host,
      );
    };
    let sftp: SFTPWrapper;
    let full: string;
    try {
      sftp = await this.sftp(client);
      full = await this.remotePath(sftp, path);
    } catch (e) {
      return fail(e);
    }
    const dir = posix.dirname(full);
    const tmp = posix.join(dir, `.${posix.basename(full)}.runbook-${randomBytes(4).toString("hex")}.tmp`);
    try {
      await mkdirs(sftp, dir);
      await cb<void>((done) => sftp.writeFile(tmp, content, { mode }, done));
      // The server's umask applies to the mode given at creation.
      await cb<void>((done) => sftp.chmod(tmp, mode, done));
      await rename(sftp, tmp, full);
    } catch (e) {
      await cb<void>((done) => sftp.unlink(tmp, done)).catch(() => {});
      fail(e);
    }
  }

  /** Kills the commands still running (their exec resolves as cancelled), then ends the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const running = [...this.running];
    for (const r of running) r.cancel();
    if (running.length > 0) {
      await Promise.race([Promise.all(running.map((r) => r.done)), sleep(killGraceOf(this.opts) + 2000)]);
    }
    const client = this.client;
    const pending = this.conn;
    this.conn = undefined;
    if (!client && pending) await pending.catch(() => {});
    const c = this.client;
    if (!c) return;
    await new Promise<void>((res) => {
      const t = setTimeout(res, 1000);
      c.once("close", () => {
        clearTimeout(t);
        res();
      });
      c.end();
    });
    this.client = undefined;
  }

  // -------------------------------------------------------------------------------------------
  // connection

  private connection(): Promise<Client> {
    if (this.closed) {
      return Promise.reject(
        new TransportError("closed", `the connection to ${this.label} was closed`, this.host),
      );
    }
    if (!this.conn) {
      const p = this.connect();
      this.conn = p;
      p.catch(() => {
        if (this.conn === p) this.conn = undefined;
      });
    }
    return this.conn;
  }

  private async connect(): Promise<Client> {
    const m = this.machine;
    const knownFile = m.knownHosts ?? join(homedir(), ".ssh", "known_hosts");
    const known = readKnownHosts(knownFile);
    // As ssh does, the system-wide list counts too (read only) unless the inventory names a file.
    if (!m.knownHosts) known.entries.push(...readKnownHosts(GLOBAL_KNOWN_HOSTS).entries);
    const name = knownHostsName(m.address, m.port);
    const auth = await this.authMethods();
    const client = new Client();
    this.connectCount++;
    let hostKeyError: TransportError | undefined;
    // Our own login time limit (ssh2's readyTimeout would also count the time an operator takes to
    // answer the host key question): paused while the decider runs.
    const limitMs = this.opts.connectTimeoutMs ?? 20_000;
    let left = limitMs;
    let armedAt = 0;
    let limitTimer: ReturnType<typeof setTimeout> | undefined;
    let loginTimedOut: TransportError | undefined;
    const arm = () => {
      armedAt = performance.now();
      limitTimer = setTimeout(() => {
        loginTimedOut = new TransportError(
          "connect-failed",
          `cannot connect to ${this.label}: no SSH login within ${limitMs >= 1000 ? `${limitMs / 1000} s` : `${limitMs} ms`}`,
          this.host,
        );
        client.destroy();
      }, left);
    };
    const disarm = () => {
      if (limitTimer) clearTimeout(limitTimer);
      limitTimer = undefined;
      left = Math.max(0, left - (performance.now() - armedAt));
    };

    const verifyHost = (key: Buffer, verify: (ok: boolean) => void): void => {
      const fp = fingerprint(key);
      const type = keyTypeOf(key);
      const status = lookupHostKey(known, name, key);
      if (status.kind === "known") {
        verify(true);
        return;
      }
      if (status.kind === "revoked") {
        hostKeyError = new TransportError(
          "host-key-changed",
          `REFUSED ${this.label}: its host key ${type} ${fp} is marked @revoked in ${status.entry.file} ` +
            `line ${status.entry.line}. Nothing was run.`,
          this.host,
        );
        verify(false);
        return;
      }
      if (status.kind === "changed") {
        const listed = status.listed
          .map((e) => `${e.keyType} ${fingerprint(e.key)} (${e.file} line ${e.line})`)
          .join(", ");
        hostKeyError = new TransportError(
          "host-key-changed",
          `HOST KEY CHANGED for ${this.label}: the server presented ${type} ${fp}, but known_hosts ` +
            `lists ${name} with ${listed}. Someone may be intercepting the connection, or the machine ` +
            `was reinstalled. Nothing was run. If the change is expected, remove the old key with ` +
            `ssh-keygen -R '${name}' -f ${status.listed[0]?.file ?? knownFile} and connect again.`,
          this.host,
        );
        verify(false);
        return;
      }
      const note = unsupportedNote(status.unsupported);
      const decide = this.opts.decideHostKey ?? refuseUnknownHostKeys;
      disarm();
      decide({ host: this.host, address: m.address, port: m.port, keyType: type, fingerprint: fp })
        .catch(() => false)
        .then((ok) => {
          arm();
          if (ok) {
            try {
              appendKnownHost(knownFile, name, key);
            } catch (e) {
              hostKeyError = new TransportError(
                "host-key-unknown",
                `accepted the host key of ${this.label} but could not add it to ${knownFile}: ${errText(e)}`,
                this.host,
              );
              verify(false);
              return;
            }
            verify(true);
            return;
          }
          hostKeyError = new TransportError(
            "host-key-unknown",
            `unknown host key for ${this.label}: ${type} ${fp} is not in ${knownFile} and was not ` +
              `accepted. Nothing was run. Check the fingerprint with the machine's owner, then accept it ` +
              `in an interactive run or add it to ${knownFile}.${note}`,
            this.host,
          );
          verify(false);
        });
    };

    return new Promise<Client>((resolve, reject) => {
      let ready = false;
      client.on("ready", () => {
        ready = true;
        disarm();
        this.client = client;
        const kind = this.opts.wrapper ?? "auto";
        if (kind !== "auto") {
          this.wrapper = kind;
          resolve(client);
          return;
        }
        this.capture(client, PROBE).then(
          (out) => {
            this.wrapper = out.includes("rb-setsid-w") ? "setsid-wait" : "portable";
            resolve(client);
          },
          (e) => reject(e),
        );
      });
      client.on("error", (err: Error & { level?: string; code?: string }) => {
        if (ready) return; // a running command sees its channel close; the next exec reconnects
        disarm();
        reject(hostKeyError ?? loginTimedOut ?? this.connectError(err, auth.describe));
      });
      client.on("close", () => {
        if (this.client === client) {
          this.client = undefined;
          this.sftpSession = undefined;
          this.home = undefined;
          if (this.conn) this.conn = undefined;
        }
        if (!ready) {
          disarm();
          reject(
            hostKeyError ??
              loginTimedOut ??
              new TransportError(
                "connect-failed",
                `the connection to ${this.label} closed during login`,
                this.host,
              ),
          );
        }
        for (const r of this.running) r.lost();
      });
      client.on("connect", () => client.setNoDelay(true));
      arm();
      const preferred = listedKeyTypes(known, name).flatMap(hostKeyAlgorithms);
      try {
        client.connect({
          host: m.address,
          port: m.port,
          username: this.user,
          authHandler: auth.methods,
          hostVerifier: verifyHost,
          readyTimeout: 0,
          keepaliveInterval: this.opts.keepaliveMs ?? 15_000,
          keepaliveCountMax: 4,
          algorithms:
            preferred.length > 0
              ? { serverHostKey: [...new Set([...preferred, ...DEFAULT_HOST_KEY_ALGOS])] }
              : undefined,
        });
      } catch (e) {
        disarm();
        reject(
          new TransportError("connect-failed", `cannot connect to ${this.label}: ${errText(e)}`, this.host),
        );
      }
    });
  }

  private connectError(err: Error & { level?: string; code?: string }, tried: string): TransportError {
    const msg = err.message;
    switch (err.level) {
      case "client-authentication":
        return new TransportError(
          "auth-failed",
          `authentication failed for ${this.label}: the server refused ${tried}`,
          this.host,
        );
      case "client-timeout":
        return new TransportError(
          "connect-failed",
          `cannot connect to ${this.label}: no SSH handshake within ${Math.round((this.opts.connectTimeoutMs ?? 20_000) / 1000)} s`,
          this.host,
        );
      case "client-socket": {
        const why =
          err.code === "ECONNREFUSED"
            ? "connection refused (is sshd running on that port?)"
            : err.code === "EHOSTUNREACH" || err.code === "ENETUNREACH"
              ? "host unreachable"
              : err.code === "ETIMEDOUT"
                ? "connection timed out"
                : msg;
        return new TransportError("connect-failed", `cannot connect to ${this.label}: ${why}`, this.host);
      }
      case "client-dns":
        return new TransportError(
          "connect-failed",
          `cannot connect to ${this.label}: cannot resolve ${this.machine.address}`,
          this.host,
        );
      default:
        return new TransportError("connect-failed", `cannot connect to ${this.label}: ${msg}`, this.host);
    }
  }

  /** The auth methods to try, in order, and how to name them in an error. */
  private async authMethods(): Promise<{ methods: AnyAuthMethod[]; describe: string }> {
    const m = this.machine;
    const methods: AnyAuthMethod[] = [];
    const names: string[] = [];
    if (m.agent) {
      const sock = process.env.SSH_AUTH_SOCK;
      if (!sock) {
        throw new TransportError(
          "auth-failed",
          `${this.label} uses the ssh-agent (agent: true) but SSH_AUTH_SOCK is not set: start ssh-agent and ssh-add the key`,
          this.host,
        );
      }
      methods.push({ type: "agent", username: this.user, agent: sock });
      names.push(`the keys of the ssh-agent at ${sock}`);
    }
    const files = m.identity
      ? [m.identity]
      : m.agent
        ? []
        : ["id_ed25519", "id_ecdsa", "id_rsa"]
            .map((f) => join(homedir(), ".ssh", f))
            .filter((f) => existsSync(f));
    if (methods.length === 0 && files.length === 0) {
      throw new TransportError(
        "auth-failed",
        `no key to log in to ${this.label}: set identity (a private key file) or agent: true in the inventory`,
        this.host,
      );
    }
    for (const file of files) {
      const key = await this.loadKey(file);
      methods.push({ type: "publickey", username: this.user, key });
      names.push(`the key ${file}`);
    }
    return { methods, describe: `${names.join(" and ")} for user ${this.user}` };
  }

  private async loadKey(file: string): Promise<ReturnType<typeof parsedKey>> {
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch (e) {
      throw new TransportError(
        "auth-failed",
        `cannot read the key ${file} for ${this.label}: ${errText(e)}`,
        this.host,
      );
    }
    let parsed = utils.parseKey(data);
    for (let attempt = 1; parsed instanceof Error && /passphrase/i.test(parsed.message); attempt++) {
      if (!this.opts.passphrase || attempt > 3) {
        throw new TransportError(
          "auth-failed",
          this.opts.passphrase
            ? `wrong passphrase for the key ${file} (${this.label})`
            : `the key ${file} (${this.label}) is encrypted and no passphrase can be asked in this run`,
          this.host,
        );
      }
      const pass = await this.opts.passphrase({ host: this.host, identity: file, attempt });
      if (pass === undefined) {
        throw new TransportError(
          "auth-failed",
          attempt > 1
            ? `wrong passphrase for the key ${file} (${this.label})`
            : `no passphrase given for the key ${file} (${this.label})`,
          this.host,
        );
      }
      parsed = utils.parseKey(data, pass);
    }
    return parsedKey(parsed, file, this.label, this.host);
  }

  // -------------------------------------------------------------------------------------------
  // commands

  private async openExec(client: Client, cmd: string, attempts = 40): Promise<ClientChannel> {
    for (let i = 1; ; i++) {
      try {
        return await new Promise<ClientChannel>((res, rej) => {
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
      } catch (e) {
        // "open failed": the server's session limit (MaxSessions) is reached for a moment.
        const retry = /open failed|prohibited|resource shortage/i.test(errText(e)) && i < attempts;
        if (!retry) {
          throw new TransportError(
            this.closed ? "closed" : "connect-failed",
            `cannot start a command on ${this.label}: ${errText(e)}`,
            this.host,
          );
        }
        await sleep(Math.min(25 * i, 200));
      }
    }
  }

  private follow(client: Client, ch: ClientChannel, script: string, opts: ExecOptions): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      let pgid: number | undefined;
      let lost = false;
      let forceTimer: ReturnType<typeof setTimeout> | undefined;

      const outDec = new TextDecoder();
      const errDec = new TextDecoder();
      const out = new MarkerFilter(
        STDOUT_MARKER,
        (b) => opts.onStdout?.(outDec.decode(b, { stream: true })),
        (v) => {
          const [pid = "", id = ""] = v.split(":");
          pgid = Number(pid);
          opts.onStart?.({ pid: pgid, id });
          if (life.killing) void this.killGroup(client, pgid);
        },
      );
      const err = new MarkerFilter(STDERR_MARKER, (b) => opts.onStderr?.(errDec.decode(b, { stream: true })));

      const life = new CommandLifecycle(opts, killGraceOf(this.opts), () => {
        if (pgid !== undefined) {
          void this.killGroup(client, pgid).then(() => {
            // The group is dead; the channel closes when the wrapper sees it. Do not wait forever.
            forceTimer = setTimeout(() => ch.close(), 2000);
          });
        } else {
          // Not started yet: the marker handler kills it as soon as the group exists.
          forceTimer = setTimeout(() => ch.close(), life.graceMs + 3000);
        }
      }).start();
      let settle = () => {};
      const entry = {
        cancel: life.cancel,
        lost: () => {
          lost = true;
        },
        done: new Promise<void>((r) => {
          settle = r;
        }),
      };
      this.running.add(entry);

      ch.on("data", (d: Buffer) => out.push(d));
      ch.stderr.on("data", (d: Buffer) => err.push(d));
      ch.on("error", () => {});
      ch.on("close", () => {
        const exit = exitCodes.get(ch);
        const exitCode = exit?.code;
        life.end();
        if (forceTimer) clearTimeout(forceTimer);
        this.running.delete(entry);
        settle();
        out.end();
        err.end();
        const tailOut = outDec.decode();
        if (tailOut) opts.onStdout?.(tailOut);
        const tailErr = errDec.decode();
        if (tailErr) opts.onStderr?.(tailErr);
        // No exit status and no connection: the command may have finished, failed, or still run there
        // (a kill sent for a timeout or a stop may never have arrived).
        if (exitCode === undefined && lost) {
          reject(
            new TransportError(
              this.closed ? "closed" : "lost",
              this.closed
                ? `the connection to ${this.label} was closed while a command was running`
                : `lost the connection to ${this.label} while a command was running: it may have finished, failed, or still be running there`,
              this.host,
            ),
          );
          return;
        }
        resolve(life.result({ code: exitCode ?? null, signal: exit?.signal }));
      });

      ch.end(script.endsWith("\n") ? script : `${script}\n`);
      life.cancelIfAborted();
    });
  }

  /** Runs a helper command through the login shell and returns its stdout. */
  private async capture(client: Client, cmd: string): Promise<string> {
    const ch = await this.openExec(client, cmd);
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
  private async killGroup(client: Client, pgid: number): Promise<void> {
    try {
      const ch = await this.openExec(client, killCommand(pgid, killGraceOf(this.opts)));
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

  // -------------------------------------------------------------------------------------------
  // files

  private sftp(client: Client): Promise<SFTPWrapper> {
    if (!this.sftpSession) {
      const p = new Promise<SFTPWrapper>((res, rej) => {
        client.sftp((err, sftp) => {
          if (err) return rej(err);
          sftp.on("close", () => {
            if (this.sftpSession === p) {
              this.sftpSession = undefined;
              this.home = undefined;
            }
          });
          res(sftp);
        });
      });
      this.sftpSession = p;
      p.catch(() => {
        if (this.sftpSession === p) this.sftpSession = undefined;
      });
    }
    return this.sftpSession;
  }

  private async remotePath(sftp: SFTPWrapper, path: string): Promise<string> {
    if (path.startsWith("/")) return path;
    if (!this.home) {
      const h = cb<string>((done) => sftp.realpath(".", done));
      this.home = h;
      h.catch(() => {
        if (this.home === h) this.home = undefined;
      });
    }
    const home = await this.home;
    if (path === "~") return home;
    return posix.join(home, path.startsWith("~/") ? path.slice(2) : path);
  }
}

// ---------------------------------------------------------------------------------------------

const GLOBAL_KNOWN_HOSTS = "/etc/ssh/ssh_known_hosts";

const DEFAULT_HOST_KEY_ALGOS: ServerHostKeyAlgorithm[] = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
];

function hostKeyAlgorithms(keyType: string): ServerHostKeyAlgorithm[] {
  if (keyType === "ssh-rsa") return ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];
  return DEFAULT_HOST_KEY_ALGOS.filter((a) => a === keyType);
}

function unsupportedNote(lines: KnownHostsEntry[]): string {
  if (lines.length === 0) return "";
  const list = lines.map((e) => `${e.file} line ${e.line} (${e.marker})`).join(", ");
  return (
    ` Note: known_hosts has entries for this host that runbook does not support and ignored: ${list}; ` +
    "host certificates (@cert-authority) are not supported, list the host's own key instead."
  );
}

function parsedKey(parsed: ReturnType<typeof utils.parseKey>, file: string, label: string, host: string) {
  if (parsed instanceof Error) {
    throw new TransportError(
      "auth-failed",
      `cannot use the key ${file} for ${label}: ${parsed.message}`,
      host,
    );
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key?.isPrivateKey()) {
    throw new TransportError("auth-failed", `${file} is not a private key (${label})`, host);
  }
  return key;
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

/** Exit status of each exec channel (code null: killed by a signal), recorded as soon as it is open. */
const exitCodes = new WeakMap<ClientChannel, { code: number | null; signal?: string }>();

class Slots {
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

async function mkdirs(sftp: SFTPWrapper, dir: string): Promise<void> {
  if (dir === "/" || dir === "." || dir === "") return;
  const st = await cb<{ isDirectory(): boolean }>((done) => sftp.stat(dir, done)).catch(() => undefined);
  if (st) {
    if (!st.isDirectory()) throw new Error(`${dir} exists and is not a directory`);
    return;
  }
  await mkdirs(sftp, posix.dirname(dir));
  try {
    await cb<void>((done) => sftp.mkdir(dir, done));
  } catch (e) {
    const again = await cb<{ isDirectory(): boolean }>((done) => sftp.stat(dir, done)).catch(() => undefined);
    if (!again?.isDirectory()) throw new Error(`cannot create directory ${dir}: ${errText(e)}`);
  }
}

async function rename(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  try {
    await cb<void>((done) => sftp.ext_openssh_rename(from, to, done));
  } catch (e) {
    if (!/not supported/i.test(errText(e))) throw e;
    // Plain SFTP rename refuses to replace an existing file.
    await cb<void>((done) => sftp.unlink(to, done)).catch(() => {});
    await cb<void>((done) => sftp.rename(from, to, done));
  }
}

function cb<T>(f: (done: (err: Error | undefined | null, v: T) => void) => void): Promise<T> {
  return new Promise<T>((res, rej) => {
    try {
      f((err, v) => (err ? rej(err) : res(v)));
    } catch (e) {
      rej(e);
    }
  });
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
