import type { Host } from "../model/inventory.ts";
import { LocalTransport } from "./local-transport.ts";
import {
  type JumpPool,
  type PassphraseSource,
  refuseUnknownHostKeys,
  SshTransport,
} from "./ssh/ssh-transport.ts";
import type { HostKeyDecider, Transport } from "./transport.ts";

export interface ConnectOptions {
  /** Unknown host keys: refused unless an interactive operator accepts them. */
  decideHostKey?: HostKeyDecider;
  passphrase?: PassphraseSource;
  /** The run's bastion logins, shared by the machines behind the same jump hosts. */
  jumps?: JumpPool;
}

/** The transport an inventory machine asks for. ssh connects on first use and stays connected. */
export function connectTransport(host: Host, opts: ConnectOptions = {}): Transport {
  switch (host.transport) {
    case "local":
      return new LocalTransport(host.name);
    case "ssh":
      return new SshTransport(host, {
        decideHostKey: opts.decideHostKey ?? refuseUnknownHostKeys,
        passphrase: opts.passphrase,
        ...(opts.jumps ? { jumps: opts.jumps } : {}),
      });
  }
}
