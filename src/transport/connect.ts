import type { Host } from "../model/inventory.ts";
import { LocalTransport } from "./local-transport.ts";
import type { PassphraseSource } from "./passphrases.ts";
import type { JumpPool } from "./ssh/jump-pool.ts";
import type { HostKeyDecider, Transport } from "./transport.ts";

export interface ConnectOptions {
  /** Unknown host keys: refused unless an interactive operator accepts them. */
  decideHostKey?: HostKeyDecider;
  passphrase?: PassphraseSource;
  /** The run's bastion logins, shared by the machines behind the same jump hosts. */
  jumps?: JumpPool;
}

/**
 * The transport an inventory machine asks for. ssh connects on first use and stays connected; ssh2 is
 * loaded only when a machine is remote.
 */
export async function connectTransport(host: Host, opts: ConnectOptions = {}): Promise<Transport> {
  switch (host.transport) {
    case "local":
      return new LocalTransport(host.name);
    case "ssh": {
      const { SshTransport, refuseUnknownHostKeys } = await import("./ssh/ssh-transport.ts");
      return new SshTransport(host, {
        decideHostKey: opts.decideHostKey ?? refuseUnknownHostKeys,
        passphrase: opts.passphrase,
        ...(opts.jumps ? { jumps: opts.jumps } : {}),
      });
    }
  }
}
