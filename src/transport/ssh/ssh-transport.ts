/**
 * Transport over SSH (ssh2): one persistent connection per machine, host keys checked against
 * known_hosts, commands run by bash in their own process group so a timeout or a cancel can kill the
 * command and everything it started. This class wires the parts together:
 *   host-key.ts       the known_hosts policy and its messages
 *   auth.ts           the auth methods, key loading, passphrases
 *   connection.ts     the login: timers, keepalives, ssh2's errors as TransportErrors
 *   jump-pool.ts      bastions: one login per route for the run, channels forwarded through them
 *   remote-command.ts what runs on the machine: the wrapper, its markers, the probe, the kill
 *   exec.ts           a command's channel, its output, timeout, cancel and kill
 *   sftp.ts           uploads
 */
import { userInfo } from "node:os";
import type { Client } from "ssh2";
import type { Host } from "../../model/inventory.ts";
import { sleep } from "../../util/sleep.ts";
import { type Become, becomeScript, uploadAs } from "../become.ts";
import { cancelledBeforeStart, killGraceOf } from "../command-lifecycle.ts";
import { checkIdentities } from "../identity-check.ts";
import {
  type ExecOptions,
  type ExecResult,
  type HostKeyDecider,
  type Transport,
  TransportError,
} from "../transport.ts";
import { authMethods, type PassphraseSource } from "./auth.ts";
import { openClient } from "./connection.ts";
import { capture, type ExecContext, follow, openExec, type RunningCommand, Slots } from "./exec.ts";
import { HostKeyPolicy } from "./host-key.ts";
import { hopMachine, JumpPool, routeName } from "./jump-pool.ts";
import { type Peer, peerOf } from "./peer.ts";
import { PROBE, remoteCommand, type WrapperKind, wrapperFromProbe } from "./remote-command.ts";
import { RemoteFiles } from "./sftp.ts";

export { type PassphraseSource, rememberPassphrases } from "./auth.ts";
export { refuseUnknownHostKeys } from "./host-key.ts";
export { JumpPool } from "./jump-pool.ts";
export { remoteCommand, type WrapperKind } from "./remote-command.ts";

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
  /**
   * The run's bastion logins, shared by every machine behind the same bastions. Default: a pool of
   * this transport's own, closed with it.
   */
  jumps?: JumpPool;
}

export class SshTransport implements Transport {
  readonly host: string;
  /** How many SSH connections this transport has opened (1 while the connection stays up). */
  connectCount = 0;
  private readonly user: string;
  private readonly peer: Peer;
  private conn?: Promise<Client>;
  private client?: Client;
  private readonly files = new RemoteFiles();
  private closed = false;
  private wrapper: WrapperKind = "portable";
  private readonly slots: Slots;
  /** Commands in flight: `cancel` kills one, `lost` tells it the connection is gone. */
  private readonly running = new Set<RunningCommand>();
  /** The bastions' logins, when the machine is reached through jump hosts. */
  private readonly jumps?: JumpPool;
  private readonly ownJumps: boolean;

  constructor(
    private readonly machine: Host,
    private readonly opts: SshTransportOptions = {},
  ) {
    this.host = machine.name;
    this.user = machine.user ?? userInfo().username;
    this.peer = peerOf(machine, this.user);
    this.slots = new Slots(opts.maxParallel ?? 6);
    this.ownJumps = machine.jump !== undefined && opts.jumps === undefined;
    if (machine.jump) this.jumps = opts.jumps ?? new JumpPool(opts);
  }

  async exec(script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (opts.signal?.aborted) return cancelledBeforeStart();
    const client = await this.connection();
    await this.slots.acquire();
    try {
      if (opts.signal?.aborted) return cancelledBeforeStart();
      opts.onSend?.();
      const ctx = this.execContext(client);
      const channel = await openExec(ctx, remoteCommand(this.wrapper));
      const sent = opts.become ? becomeScript(script, opts.become, killGraceOf(this.opts)) : script;
      return await follow(ctx, channel, sent, opts);
    } finally {
      this.slots.release();
    }
  }

  /** The machine's key files and passphrases, before any login anywhere (see Transport.prepare). */
  async prepare(): Promise<void> {
    const bastions = (this.machine.jump ?? []).map(hopMachine);
    const errors = await checkIdentities([...bastions, this.machine], this.opts.passphrase);
    if (errors.length > 0) {
      throw new TransportError("config", errors.map((e) => e.format()).join("\n"), this.host);
    }
  }

  /** Logs in now (host key, authentication), rather than at the first command. */
  async open(): Promise<void> {
    await this.connection();
  }

  async upload(path: string, content: string, mode: number, become?: Become): Promise<void> {
    if (become) return uploadAs(this, path, content, mode, become);
    const client = await this.connection();
    await this.files.upload(client, this.peer, path, content, mode);
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
    if (c) {
      await new Promise<void>((res) => {
        const t = setTimeout(res, 1000);
        c.once("close", () => {
          clearTimeout(t);
          res();
        });
        c.end();
      });
    }
    this.client = undefined;
    // After the machine's own connection, which runs through them.
    if (this.ownJumps) await this.jumps?.close();
  }

  private connection(): Promise<Client> {
    if (this.closed) {
      return Promise.reject(
        new TransportError("closed", `the connection to ${this.peer.label} was closed`, this.host),
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

  /** Reads known_hosts, loads the keys, logs in, and finds out how to wrap commands there. */
  private async connect(): Promise<Client> {
    const { machine, user, peer, opts } = this;
    const hostKeys = new HostKeyPolicy(machine, peer, opts);
    const auth = await authMethods({ machine, user, peer, opts });
    const sock = await this.tunnel();
    this.connectCount++;
    const client = await openClient(
      { machine, user, peer, auth, hostKeys, opts, ...(sock ? { sock } : {}) },
      {
        ready: (c) => {
          this.client = c;
        },
        closed: (c) => this.clientClosed(c),
      },
    ).catch((e: unknown) => {
      throw this.behindBastion(e);
    });
    this.wrapper = await this.wrapperOn(client);
    return client;
  }

  /** The channel through the bastions to the machine, when it has jump hosts. */
  private async tunnel() {
    const hops = this.machine.jump;
    if (!hops || !this.jumps) return undefined;
    const { address, port } = this.machine;
    return this.jumps.tunnel(hops, { address, port, peer: this.peer });
  }

  /** A login that failed past the bastions says the bastions were reached. */
  private behindBastion(e: unknown): unknown {
    const hops = this.machine.jump;
    if (!hops || !(e instanceof TransportError)) return e;
    if (e.code !== "connect-failed" && e.code !== "auth-failed") return e;
    return new TransportError(e.code, `${routeName(hops)} reached, but ${e.message}`, e.host);
  }

  private async wrapperOn(client: Client): Promise<WrapperKind> {
    const kind = this.opts.wrapper ?? "auto";
    if (kind !== "auto") return kind;
    return wrapperFromProbe(await capture(this.execContext(client), PROBE));
  }

  private clientClosed(client: Client): void {
    if (this.client === client) {
      this.client = undefined;
      this.files.forget();
      if (this.conn) this.conn = undefined;
    }
    for (const r of this.running) r.lost();
  }

  private execContext(client: Client): ExecContext {
    return {
      client,
      peer: this.peer,
      closed: () => this.closed,
      graceMs: () => killGraceOf(this.opts),
      running: this.running,
    };
  }
}
