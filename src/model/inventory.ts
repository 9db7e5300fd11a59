import type { Scalar, SourcePos } from "./runbook.ts";

export type TransportKind = "local" | "ssh";

/** A user name that `sudo -u` takes as a name: no `#uid`, no option, no shell syntax. */
export const USER_NAME = /^[a-z_][a-z0-9_.-]*\$?$/i;

/** One machine the runner acts on. Several may share a physical host (the local inventory does). */
export interface Host {
  name: string;
  transport: TransportKind;
  address: string;
  port: number;
  user?: string;
  /** Private key file for ssh; the passphrase, if any, is asked at run time. */
  identity?: string;
  /** Use the ssh-agent at $SSH_AUTH_SOCK. */
  agent: boolean;
  /** known_hosts file to check host keys against (default ~/.ssh/known_hosts). */
  knownHosts?: string;
  roles: string[];
  /** The user its commands run as, through sudo (`become:`); absent: the login user. */
  become?: string;
  vars: Record<string, Scalar>;
  pos: SourcePos;
  /** Where some keys of the machine stand in the inventory, for errors found later (a missing key file). */
  keyPos?: Partial<Record<"identity" | "known_hosts" | "address" | "user", SourcePos>>;
  /** The bastions on the way to it (`jump:`, or ProxyJump in the ssh config), first hop first. */
  jump?: JumpHop[];
}

/**
 * One bastion on the way to a machine: logged into like any ssh machine (its own host key, the same
 * key and agent logic), then asked to forward a channel to the next hop.
 */
export interface JumpHop {
  /** The inventory's name of the bastion, or the `user@host:port` as jump: or ProxyJump wrote it. */
  name: string;
  address: string;
  port: number;
  user?: string;
  identity?: string;
  agent: boolean;
  knownHosts?: string;
  /** Where the bastion is defined (its machine), or where the jump: naming it stands. */
  pos: SourcePos;
  keyPos?: Host["keyPos"];
}

export interface Inventory {
  file: string;
  sha256: string;
  vars: Record<string, Scalar>;
  hosts: Host[];
  /** Inventory groups: name -> host names. */
  groups: Record<string, string[]>;
}
