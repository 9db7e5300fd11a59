/**
 * OpenSSH known_hosts: parsing, lookup of one host's key, appending an accepted key.
 *
 * Supported: plain host patterns (comma lists, `*` and `?` wildcards, `!` negation), hashed names
 * (`|1|salt|hash`, HMAC-SHA1), `[host]:port` names for ports other than 22, and the `@revoked` marker.
 * Not supported: `@cert-authority` (host certificates) and any other marker; a lookup reports such
 * lines for the host so the error can say why they did not count.
 */
import { createHash, createHmac } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";

export interface KnownHostsEntry {
  /** The file the entry is in. */
  file: string;
  /** 1-based line number in the file. */
  line: number;
  marker?: string;
  /** The host field, as written (a pattern list or one hashed name). */
  hosts: string;
  keyType: string;
  /** The key blob (base64-decoded). */
  key: Buffer;
}

export interface KnownHosts {
  file: string;
  entries: KnownHostsEntry[];
}

export type HostKeyStatus =
  | { kind: "known"; entry: KnownHostsEntry }
  | { kind: "revoked"; entry: KnownHostsEntry }
  /** The host is listed, but with other keys (`listed`). */
  | { kind: "changed"; listed: KnownHostsEntry[] }
  /** Not listed; `unsupported` are lines for this host that were ignored (e.g. @cert-authority). */
  | { kind: "unknown"; unsupported: KnownHostsEntry[] };

/** The name a host has in known_hosts: `address` on port 22, `[address]:port` otherwise. */
export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** `SHA256:...` of a key blob, exactly as `ssh-keygen -lf` prints it. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** The key type named inside a key blob (`ssh-ed25519`, `ssh-rsa`, ...). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return "unknown";
  const len = key.readUInt32BE(0);
  if (len > key.length - 4 || len > 64) return "unknown";
  return key.subarray(4, 4 + len).toString("latin1");
}

export function readKnownHosts(file: string): KnownHosts {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  return { file, entries: parseKnownHosts(text, file) };
}

/** Lines that are not entries (comments, blanks, garbage) are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string, file = "known_hosts"): KnownHostsEntry[] {
  const out: KnownHostsEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const fields = (lines[i] ?? "").trim().split(/\s+/);
    if (fields[0] === "" || fields[0]?.startsWith("#")) continue;
    let marker: string | undefined;
    if (fields[0]?.startsWith("@")) marker = fields.shift();
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) continue;
    const key = Buffer.from(b64, "base64");
    if (key.length === 0) continue;
    out.push({ file, line: i + 1, marker, hosts, keyType, key });
  }
  return out;
}

/** Does the host field of an entry name `name` (already `[host]:port` for non-22 ports)? */
export function hostFieldMatches(hosts: string, name: string): boolean {
  const lower = name.toLowerCase();
  if (hosts.startsWith("|1|")) {
    const [, , salt, hash] = hosts.split("|");
    if (!salt || !hash) return false;
    const mac = createHmac("sha1", Buffer.from(salt, "base64")).update(lower).digest("base64");
    return mac === hash;
  }
  let matched = false;
  for (const raw of hosts.split(",")) {
    const negated = raw.startsWith("!");
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (!wildcardMatch(pattern, lower)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function wildcardMatch(pattern: string, s: string): boolean {
  if (!pattern.includes("*") && !pattern.includes("?")) return pattern === s;
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`).test(s);
}

/** What known_hosts says about `key` presented by the host called `name` there. */
export function lookupHostKey(kh: KnownHosts, name: string, key: Buffer): HostKeyStatus {
  const forHost = kh.entries.filter((e) => hostFieldMatches(e.hosts, name));
  const revoked = forHost.find((e) => e.marker === "@revoked" && e.key.equals(key));
  if (revoked) return { kind: "revoked", entry: revoked };
  const plain = forHost.filter((e) => e.marker === undefined);
  const same = plain.find((e) => e.key.equals(key));
  if (same) return { kind: "known", entry: same };
  if (plain.length > 0) return { kind: "changed", listed: plain };
  return {
    kind: "unknown",
    unsupported: forHost.filter((e) => e.marker !== undefined && e.marker !== "@revoked"),
  };
}

/** Key types known_hosts lists for the host, in file order (to prefer them in the key exchange). */
export function listedKeyTypes(kh: KnownHosts, name: string): string[] {
  const types: string[] = [];
  for (const e of kh.entries) {
    if (e.marker === undefined && hostFieldMatches(e.hosts, name) && !types.includes(e.keyType)) {
      types.push(e.keyType);
    }
  }
  return types;
}

/** Appends `name keytype base64` to the file, creating it (and its directory) when missing. */
export function appendKnownHost(file: string, name: string, key: Buffer): void {
  const dir = dirname(file);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  let prefix = "";
  try {
    const text = readFileSync(file, "utf8");
    if (text.length > 0 && !text.endsWith("\n")) prefix = "\n";
  } catch {}
  appendFileSync(file, `${prefix}${name} ${keyTypeOf(key)} ${key.toString("base64")}\n`, { mode: 0o644 });
}
