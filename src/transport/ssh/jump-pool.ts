/**
 * Jump hosts (bastions) over ssh2: the first hop is logged into directly, each next hop over a channel
 * the one before forwards (`forwardOut`, passed as the next client's `sock`), and the machine behind
 * them over a channel the last hop forwards. A run keeps ONE login per bastion route, shared by every
 * machine behind it, and closes them at its end. A bastion is logged into like any machine: its host
 * key checked against known_hosts (an unknown one asked like a target's, a changed one refused), the
 * same key and agent logic, keepalives. Every failure names the hop it happened at.
 */
import type { Duplex } from "node:stream";
import type { Client } from "ssh2";
import type { Host, JumpHop } from "../../model/inventory.ts";
import { currentUser } from "../../util/current-user.ts";
import { errText } from "../../util/err-text.ts";
import { type HostKeyDecider, TransportError } from "../transport.ts";
import { authMethods, type PassphraseSource } from "./auth.ts";
import { type ConnectionOptions, openClient } from "./connection.ts";
import { HostKeyPolicy } from "./host-key.ts";
import { type Peer, peerOf } from "./peer.ts";

export interface JumpOptions extends ConnectionOptions {
  /** Asked about a bastion's host key not in known_hosts, as for any machine. Default: refuse. */
  decideHostKey?: HostKeyDecider;
  passphrase?: PassphraseSource;
}

/** Where a tunnel leads: the machine behind the bastions. */
export interface TunnelEnd {
  address: string;
  port: number;
  peer: Peer;
}

export class JumpPool {
  /** Bastion logins made so far (one per route while it stays up). */
  loginCount = 0;
  /** Logins by route (`routeKey` of the hops up to that bastion). */
  private readonly logins = new Map<string, Promise<Client>>();
  private readonly routes = new Map<Client, string>();
  private closed = false;

  constructor(private readonly opts: JumpOptions = {}) {}

  /** A channel to `to` through the hops (first hop first), for the next ssh2 client's `sock`. */
  async tunnel(hops: JumpHop[], to: TunnelEnd): Promise<Duplex> {
    const last = hops.at(-1);
    if (!last) throw new TransportError("config", `${to.peer.label} has an empty jump route`, to.peer.host);
    let client: Client;
    try {
      client = await this.login(hops, hops.length, to.peer.host);
    } catch (e) {
      const code = e instanceof TransportError ? e.code : "connect-failed";
      throw new TransportError(
        code,
        `could not reach ${to.peer.host} through ${routeName(hops)}: ${errText(e)}`,
        to.peer.host,
      );
    }
    return forward(client, last.name, to);
  }

  /** Ends every bastion login (the channels through them close with them). */
  async close(): Promise<void> {
    this.closed = true;
    const pending = [...this.logins.values()];
    this.logins.clear();
    const clients = await Promise.all(pending.map((p) => p.catch(() => undefined)));
    await Promise.all(clients.map((c) => (c ? endClient(c) : undefined)));
  }

  /** The login to the `n`th hop, shared by every machine whose route starts with the same hops. */
  private login(hops: JumpHop[], n: number, forMachine: string): Promise<Client> {
    if (this.closed) {
      const name = hops[n - 1]?.name ?? "the bastion";
      return Promise.reject(new TransportError("closed", `the connection to ${name} was closed`, name));
    }
    const key = routeKey(hops.slice(0, n));
    let p = this.logins.get(key);
    if (!p) {
      const opened = this.open(hops, n, key, forMachine);
      p = opened;
      this.logins.set(key, opened);
      // A refused host key stays refused for the whole run (asked once, whoever asks next); a network
      // failure is tried again by the next machine that needs the bastion.
      opened.catch((e) => {
        const keyRefused = e instanceof TransportError && e.code.startsWith("host-key");
        if (!keyRefused && this.logins.get(key) === opened) this.logins.delete(key);
      });
    }
    return p;
  }

  /** Logs into the `n`th hop; `forMachine` (the first machine that needs it) is named in its questions. */
  private async open(hops: JumpHop[], n: number, key: string, forMachine: string): Promise<Client> {
    const hop = hops[n - 1] as JumpHop;
    const machine = hopMachine(hop);
    const user = hop.user ?? currentUser();
    const peer = peerOf(machine, user);
    const before = hops[n - 2];
    const sock = before
      ? await forward(await this.login(hops, n - 1, forMachine), before.name, {
          address: hop.address,
          port: hop.port,
          peer,
        })
      : undefined;
    const decide = this.opts.decideHostKey;
    const hostKeys = new HostKeyPolicy(machine, peer, {
      ...(decide ? { decideHostKey: (q) => decide({ ...q, bastionFor: forMachine }) } : {}),
    });
    const auth = await authMethods({ machine, user, peer, opts: this.opts });
    this.loginCount++;
    return openClient(
      { machine, user, peer, auth, hostKeys, opts: this.opts, ...(sock ? { sock } : {}) },
      {
        ready: (c) => {
          this.routes.set(c, key);
        },
        closed: (c) => {
          // A bastion that went away is logged into again by the next machine that needs it.
          const route = this.routes.get(c);
          this.routes.delete(c);
          if (route !== undefined) this.logins.delete(route);
        },
      },
    );
  }
}

/** A bastion as the login code sees a machine. */
export function hopMachine(hop: JumpHop): Host {
  return { ...hop, transport: "ssh", roles: [], vars: {} };
}

/** `bastion1`, or `outer → inner` for a chain. */
export function routeName(hops: JumpHop[]): string {
  return hops.map((h) => h.name).join(" → ");
}

function routeKey(hops: JumpHop[]): string {
  return hops.map((h) => `${h.user ?? ""}@${h.address}:${h.port}`).join(">");
}

/** A channel from the bastion `via` (logged in as `client`) to `to`. */
function forward(client: Client, via: string, to: TunnelEnd): Promise<Duplex> {
  const refused = (why: string) =>
    new TransportError(
      "connect-failed",
      `${via} reached, but ${to.peer.label} cannot be reached from it: ${why} ` +
        `(does sshd run there, and does ${via} allow forwarding, AllowTcpForwarding?)`,
      to.peer.host,
    );
  return new Promise((resolve, reject) => {
    try {
      client.forwardOut("127.0.0.1", 0, to.address, to.port, (err, channel) => {
        if (err) reject(refused(err.message.replace(/^\(SSH\) Channel open failure: /, "")));
        else resolve(channel);
      });
    } catch (e) {
      reject(refused(errText(e)));
    }
  });
}

function endClient(c: Client): Promise<void> {
  return new Promise<void>((res) => {
    const t = setTimeout(res, 1000);
    c.once("close", () => {
      clearTimeout(t);
      res();
    });
    c.end();
  });
}
