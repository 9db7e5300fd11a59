/**
 * The host key policy of one login: the machine's key must be in known_hosts (the inventory's file,
 * else ~/.ssh/known_hosts plus the system-wide list, read only). A key marked @revoked, or a host
 * listed with other keys, is refused with nothing run; an unknown key is put to the decider (an
 * operator, or refused when there is none) and added to known_hosts when accepted. The key types
 * known_hosts lists for the host are offered first, so the server shows the key that is known.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import type { ServerHostKeyAlgorithm } from "ssh2";
import type { Host } from "../../model/inventory.ts";
import { errText } from "../../util/err-text.ts";
import {
  appendKnownHost,
  fingerprint,
  type HostKeyStatus,
  type KnownHosts,
  type KnownHostsEntry,
  keyTypeOf,
  knownHostsName,
  listedKeyTypes,
  lookupHostKey,
  readKnownHosts,
} from "../known-hosts.ts";
import { type HostKeyDecider, TransportError } from "../transport.ts";
import type { Peer } from "./peer.ts";

/** A non-interactive decider: every unknown host key is refused. */
export const refuseUnknownHostKeys: HostKeyDecider = async () => false;

/** The login time limit, which does not run while an operator is asked about a host key. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

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

/** ssh2's `hostVerifier` with a callback: it must return nothing. */
export type HostVerifier = (key: Buffer, verify: (ok: boolean) => void) => void;

export class HostKeyPolicy {
  /** Where an accepted key is added. */
  readonly knownFile: string;
  /** Why the key was refused, once it was. */
  error?: TransportError;
  private readonly known: KnownHosts;
  /** The host's name in known_hosts. */
  private readonly name: string;

  /** Reads known_hosts now. `opts.decideHostKey` is asked about an unknown key (default: refuse). */
  constructor(
    private readonly machine: Host,
    private readonly peer: Peer,
    private readonly opts: { decideHostKey?: HostKeyDecider },
  ) {
    this.knownFile = machine.knownHosts ?? join(homedir(), ".ssh", "known_hosts");
    this.known = readKnownHosts(this.knownFile);
    // As ssh does, the system-wide list counts too (read only) unless the inventory names a file.
    if (!machine.knownHosts) this.known.entries.push(...readKnownHosts(GLOBAL_KNOWN_HOSTS).entries);
    this.name = knownHostsName(machine.address, machine.port);
  }

  /** ssh2's `algorithms`: the key types known_hosts lists for the host first, when it lists any. */
  algorithms(): { serverHostKey: ServerHostKeyAlgorithm[] } | undefined {
    const preferred = listedKeyTypes(this.known, this.name).flatMap(hostKeyAlgorithms);
    return preferred.length > 0
      ? { serverHostKey: [...new Set([...preferred, ...DEFAULT_HOST_KEY_ALGOS])] }
      : undefined;
  }

  /** The verifier for one login; `limit` is paused while the decider is asked. */
  verifier(limit: Pausable): HostVerifier {
    return (key, verify) => {
      const status = lookupHostKey(this.known, this.name, key);
      if (status.kind === "known") {
        verify(true);
        return;
      }
      if (status.kind === "unknown") {
        this.ask(key, status.unsupported, limit, verify);
        return;
      }
      this.error = this.refusal(key, status);
      verify(false);
    };
  }

  /** A revoked or changed key: refused, whatever anybody would decide. */
  private refusal(key: Buffer, status: HostKeyStatus & { kind: "revoked" | "changed" }): TransportError {
    const fp = fingerprint(key);
    const type = keyTypeOf(key);
    const { label, host } = this.peer;
    if (status.kind === "revoked") {
      return new TransportError(
        "host-key-changed",
        `REFUSED ${label}: its host key ${type} ${fp} is marked @revoked in ${status.entry.file} ` +
          `line ${status.entry.line}. Nothing was run.`,
        host,
      );
    }
    const listed = status.listed
      .map((e) => `${e.keyType} ${fingerprint(e.key)} (${e.file} line ${e.line})`)
      .join(", ");
    return new TransportError(
      "host-key-changed",
      `HOST KEY CHANGED for ${label}: the server presented ${type} ${fp}, but known_hosts ` +
        `lists ${this.name} with ${listed}. Someone may be intercepting the connection, or the machine ` +
        `was reinstalled. Nothing was run. If the change is expected, remove the old key with ` +
        `ssh-keygen -R '${this.name}' -f ${status.listed[0]?.file ?? this.knownFile} and connect again.`,
      host,
    );
  }

  /** An unknown key: the decider is asked (the login time limit paused meanwhile). */
  private ask(key: Buffer, unsupported: KnownHostsEntry[], limit: Pausable, verify: (ok: boolean) => void) {
    const fp = fingerprint(key);
    const type = keyTypeOf(key);
    const note = unsupportedNote(unsupported);
    const decide = this.opts.decideHostKey ?? refuseUnknownHostKeys;
    const m = this.machine;
    limit.pause();
    decide({ host: this.peer.host, address: m.address, port: m.port, keyType: type, fingerprint: fp })
      .catch(() => false)
      .then((ok) => {
        limit.resume();
        if (ok) {
          verify(this.accept(key));
          return;
        }
        this.error = new TransportError(
          "host-key-unknown",
          `unknown host key for ${this.peer.label}: ${type} ${fp} is not in ${this.knownFile} and was not ` +
            `accepted. Nothing was run. Check the fingerprint with the machine's owner, then accept it ` +
            `in an interactive run or add it to ${this.knownFile}.${note}`,
          this.peer.host,
        );
        verify(false);
      });
  }

  /** Adds an accepted key to known_hosts; false (and the error set) when it cannot be written. */
  private accept(key: Buffer): boolean {
    try {
      appendKnownHost(this.knownFile, this.name, key);
      return true;
    } catch (e) {
      this.error = new TransportError(
        "host-key-unknown",
        `accepted the host key of ${this.peer.label} but could not add it to ${this.knownFile}: ${errText(e)}`,
        this.peer.host,
      );
      return false;
    }
  }
}
