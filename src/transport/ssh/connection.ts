/**
 * One SSH login: the ssh2 client with its keepalives, our own login time limit (paused while an
 * operator answers a host key question), and ssh2's errors turned into TransportErrors that name the
 * machine and say what to do.
 */
import type { Duplex } from "node:stream";
import { Client } from "ssh2";
import type { Host } from "../../model/inventory.ts";
import { errText } from "../../util/err-text.ts";
import { TransportError } from "../transport.ts";
import type { AuthMethods } from "./auth.ts";
import type { HostKeyPolicy, Pausable } from "./host-key.ts";
import type { Peer } from "./peer.ts";

export interface ConnectionOptions {
  /** Handshake + authentication time limit, not counting a host key question (default 20 s). */
  connectTimeoutMs?: number;
  /** SSH keepalive interval (default 15 s; the connection is dropped after 4 unanswered). */
  keepaliveMs?: number;
}

export interface LoginPlan {
  machine: Host;
  user: string;
  peer: Peer;
  auth: AuthMethods;
  hostKeys: HostKeyPolicy;
  opts: ConnectionOptions;
  /** A channel a bastion forwards to the machine (see jump-pool.ts); absent: a TCP connection of our own. */
  sock?: Duplex;
}

/** What the transport is told about the client. */
export interface ClientHooks {
  /** Logged in (said before the promise resolves). */
  ready(client: Client): void;
  /** The connection closed, before or after the login. */
  closed(client: Client): void;
}

/** Logs in; resolves once the client is ready, rejects with a TransportError that says why not. */
export function openClient(plan: LoginPlan, hooks: ClientHooks): Promise<Client> {
  const { machine: m, user, peer, auth, hostKeys, opts, sock } = plan;
  const client = new Client();
  // Our own login time limit (ssh2's readyTimeout would also count the time an operator takes to
  // answer the host key question): paused while the decider runs.
  const limit = new LoginLimit(opts.connectTimeoutMs ?? 20_000, peer, () => client.destroy());
  return new Promise<Client>((resolve, reject) => {
    let ready = false;
    client.on("ready", () => {
      ready = true;
      limit.pause();
      hooks.ready(client);
      resolve(client);
    });
    client.on("error", (err: SshError) => {
      if (ready) return; // a running command sees its channel close; the next exec reconnects
      limit.pause();
      reject(hostKeys.error ?? limit.error ?? connectError(err, auth.describe, m, peer, opts));
    });
    client.on("close", () => {
      hooks.closed(client);
      if (ready) return;
      limit.pause();
      reject(
        hostKeys.error ??
          limit.error ??
          new TransportError(
            "connect-failed",
            `the connection to ${peer.label} closed during login`,
            peer.host,
          ),
      );
    });
    client.on("connect", () => client.setNoDelay(true));
    limit.resume();
    const algorithms = hostKeys.algorithms();
    try {
      client.connect({
        host: m.address,
        port: m.port,
        username: user,
        authHandler: auth.methods,
        hostVerifier: hostKeys.verifier(limit),
        readyTimeout: 0,
        keepaliveInterval: opts.keepaliveMs ?? 15_000,
        keepaliveCountMax: 4,
        algorithms,
        ...(sock ? { sock } : {}),
      });
    } catch (e) {
      limit.pause();
      reject(
        new TransportError("connect-failed", `cannot connect to ${peer.label}: ${errText(e)}`, peer.host),
      );
    }
  });
}

/** The login time limit: `expire` ends the login when it runs out; it can be paused and resumed. */
class LoginLimit implements Pausable {
  /** Set when the limit ran out. */
  error?: TransportError;
  private left: number;
  private armedAt = 0;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly limitMs: number,
    private readonly peer: Peer,
    private readonly expire: () => void,
  ) {
    this.left = limitMs;
  }

  resume(): void {
    this.armedAt = performance.now();
    this.timer = setTimeout(() => {
      const ms = this.limitMs;
      this.error = new TransportError(
        "connect-failed",
        `cannot connect to ${this.peer.label}: no SSH login within ${ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`}`,
        this.peer.host,
      );
      this.expire();
    }, this.left);
  }

  pause(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.left = Math.max(0, this.left - (performance.now() - this.armedAt));
  }
}

type SshError = Error & { level?: string; code?: string };

/** An ssh2 client error before the login, as a TransportError; `tried` names the auth methods. */
export function connectError(
  err: SshError,
  tried: string,
  machine: Host,
  peer: Peer,
  opts: ConnectionOptions,
): TransportError {
  const { label, host } = peer;
  const msg = err.message;
  switch (err.level) {
    case "client-authentication":
      return new TransportError(
        "auth-failed",
        `authentication failed for ${label}: the server refused ${tried}`,
        host,
      );
    case "client-timeout":
      return new TransportError(
        "connect-failed",
        `cannot connect to ${label}: no SSH handshake within ${Math.round((opts.connectTimeoutMs ?? 20_000) / 1000)} s`,
        host,
      );
    case "client-socket":
      return new TransportError("connect-failed", `cannot connect to ${label}: ${socketProblem(err)}`, host);
    case "client-dns":
      return new TransportError(
        "connect-failed",
        `cannot connect to ${label}: cannot resolve ${machine.address}`,
        host,
      );
    default:
      return new TransportError("connect-failed", `cannot connect to ${label}: ${msg}`, host);
  }
}

function socketProblem(err: SshError): string {
  if (err.code === "ECONNREFUSED") return "connection refused (is sshd running on that port?)";
  if (err.code === "EHOSTUNREACH" || err.code === "ENETUNREACH") return "host unreachable";
  if (err.code === "ETIMEDOUT") return "connection timed out";
  return err.message;
}
