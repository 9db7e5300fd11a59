import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  appendKnownHost,
  fingerprint,
  hostFieldMatches,
  keyTypeOf,
  knownHostsName,
  listedKeyTypes,
  lookupHostKey,
  parseKnownHosts,
  readKnownHosts,
} from "../../src/transport/known-hosts.ts";

const dir = mkdtempSync(join(tmpdir(), "rb-kh-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keypair(name: string): { line: string; blob: Buffer; file: string } {
  const file = join(dir, name);
  rmSync(file, { force: true });
  rmSync(`${file}.pub`, { force: true });
  Bun.spawnSync(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", file]);
  const line = readFileSync(`${file}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
  return { line, blob: Buffer.from(line.split(" ")[1] ?? "", "base64"), file: `${file}.pub` };
}

describe("known_hosts", () => {
  const a = keypair("a");
  const b = keypair("b");

  test("names: [host]:port unless the port is 22", () => {
    expect(knownHostsName("10.0.0.1", 22)).toBe("10.0.0.1");
    expect(knownHostsName("127.0.0.2", 2222)).toBe("[127.0.0.2]:2222");
  });

  test("fingerprint and key type match ssh-keygen -lf", () => {
    const out = Bun.spawnSync(["ssh-keygen", "-lf", a.file]).stdout.toString();
    expect(fingerprint(a.blob)).toBe(out.split(" ")[1] ?? "");
    expect(keyTypeOf(a.blob)).toBe("ssh-ed25519");
  });

  test("patterns: lists, wildcards, negation, case", () => {
    expect(hostFieldMatches("web1,WEB2.example.com", "web2.example.com")).toBe(true);
    expect(hostFieldMatches("*.example.com,!bad.example.com", "good.example.com")).toBe(true);
    expect(hostFieldMatches("*.example.com,!bad.example.com", "bad.example.com")).toBe(false);
    expect(hostFieldMatches("[127.0.0.?]:2222", "[127.0.0.3]:2222")).toBe(true);
    expect(hostFieldMatches("[127.0.0.3]:2222", "127.0.0.3")).toBe(false);
    expect(hostFieldMatches("127.0.0.3", "[127.0.0.3]:2222")).toBe(false);
  });

  test("hashed names as ssh-keygen -H writes them", () => {
    const file = join(dir, "hashed");
    writeFileSync(file, `[127.0.0.9]:2200 ${a.line}\nplain.example ${b.line}\n`);
    expect(Bun.spawnSync(["ssh-keygen", "-H", "-f", file]).exitCode).toBe(0);
    const kh = readKnownHosts(file);
    expect(kh.entries.every((e) => e.hosts.startsWith("|1|"))).toBe(true);
    expect(lookupHostKey(kh, "[127.0.0.9]:2200", a.blob).kind).toBe("known");
    expect(lookupHostKey(kh, "[127.0.0.9]:2200", b.blob).kind).toBe("changed");
    expect(lookupHostKey(kh, "127.0.0.9", a.blob).kind).toBe("unknown");
    expect(lookupHostKey(kh, "PLAIN.example", b.blob).kind).toBe("known");
  });

  test("lookup: known, changed (with the listed lines), revoked, unsupported markers, garbage skipped", () => {
    const text = [
      "# comment",
      "",
      `host1 ${a.line} comment here`,
      "host2 ssh-ed25519 not-base64!!",
      `@revoked host3 ${a.line}`,
      `host3 ${a.line}`,
      `@cert-authority host4 ${b.line}`,
      `@weird host5 ${b.line}`,
    ].join("\n");
    const kh = { file: "kh", entries: parseKnownHosts(text) };
    expect(kh.entries.map((e) => e.line)).toEqual([3, 5, 6, 7, 8]);
    expect(lookupHostKey(kh, "host1", a.blob)).toMatchObject({ kind: "known", entry: { line: 3 } });
    const changed = lookupHostKey(kh, "host1", b.blob);
    expect(changed.kind).toBe("changed");
    if (changed.kind === "changed") expect(changed.listed.map((e) => e.line)).toEqual([3]);
    expect(lookupHostKey(kh, "host3", a.blob)).toMatchObject({ kind: "revoked", entry: { line: 5 } });
    const ca = lookupHostKey(kh, "host4", b.blob);
    expect(ca.kind).toBe("unknown");
    if (ca.kind === "unknown") expect(ca.unsupported.map((e) => e.marker)).toEqual(["@cert-authority"]);
    const weird = lookupHostKey(kh, "host5", b.blob);
    if (weird.kind === "unknown") expect(weird.unsupported.map((e) => e.marker)).toEqual(["@weird"]);
    expect(lookupHostKey(kh, "nobody", a.blob)).toEqual({ kind: "unknown", unsupported: [] });
    expect(listedKeyTypes(kh, "host1")).toEqual(["ssh-ed25519"]);
  });

  test("append creates the file and its directory, and keeps lines separate", () => {
    const file = join(dir, "new", "sub", "known_hosts");
    appendKnownHost(file, "[127.0.0.2]:2222", a.blob);
    expect(readFileSync(file, "utf8")).toBe(`[127.0.0.2]:2222 ${a.line}\n`);
    const noNewline = join(dir, "no-newline");
    writeFileSync(noNewline, `other ${b.line}`);
    appendKnownHost(noNewline, "host", a.blob);
    expect(readFileSync(noNewline, "utf8")).toBe(`other ${b.line}\nhost ${a.line}\n`);
    expect(lookupHostKey(readKnownHosts(noNewline), "host", a.blob).kind).toBe("known");
  });

  test("a missing file is empty", () => {
    expect(readKnownHosts(join(dir, "does-not-exist")).entries).toEqual([]);
  });
});
