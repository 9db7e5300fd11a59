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
}

export interface Inventory {
  file: string;
  sha256: string;
  vars: Record<string, Scalar>;
  hosts: Host[];
  /** Inventory groups: name -> host names. */
  groups: Record<string, string[]>;
}
