import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { watchedRun } from "../helpers/jump-run.ts";
import {
  type InventorySpec,
  type SshdHarness,
  type SshdMachine,
  startSshdHarness,
} from "../helpers/sshd-harness.ts";
import { runCli } from "./run-cli.ts";

/**
 * Machines reached only through bastions, against real OpenSSH servers on loopback: the bastions allow
 * forwarding and log at DEBUG1, so their logs show each direct-tcpip channel; `nofwd` is a machine
 * that does not forward (the harness's default). Loopback cannot keep the runner from reaching a
 * target directly, so the route is proved from the outside: while a step runs, `ss` shows who holds
 * the TCP connection into the target's sshd, and it is a process of the bastion's sshd.
 */
let harness: SshdHarness;
let dir: string;
let env: Record<string, string>;

const BASTION = ["AllowTcpForwarding yes", "LogLevel DEBUG1"];

beforeAll(async () => {
  harness = await startSshdHarness({
    names: ["bastion1", "bastion2", "db1", "db2", "nofwd"],
    userPrefix: "rbjump",
    firstAddress: 120,
    lockWaitMs: 30_000,
    sshdConfig: { bastion1: BASTION, bastion2: BASTION, db1: ["LogLevel DEBUG1"], db2: ["LogLevel DEBUG1"] },
  });
  dir = mkdtempSync(join(tmpdir(), "runbook-jump-"));
  env = { RUNBOOK_STATE_DIR: join(dir, "state") };
}, 60_000);

afterAll(async () => {
  await harness?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const m = (name: string) => harness.machine(name);
const log = (name: string) => readFileSync(m(name).logFile, "utf8");
/** What a machine's sshd logged since `from` (a length of its log). */
const since = (name: string, from: number) => log(name).slice(from);
const marks = () => Object.fromEntries(harness.machines.map((x) => [x.name, log(x.name).length]));
const logins = (text: string) => (text.match(/Accepted publickey/g) ?? []).length;
/** The direct-tcpip channels a bastion's log shows to a machine (`server_request_direct_tcpip: ... target A port P`). */
const forwardsTo = (text: string, to: SshdMachine) =>
  (
    text.match(
      new RegExp(
        `direct_tcpip: originator .* target ${to.address.replace(/\./g, "\\.")} port ${to.port}\\b`,
        "g",
      ),
    ) ?? []
  ).length;

function inventory(name: string, machines: InventorySpec["machines"]): string {
  return harness.writeInventory(join(dir, `${name}.yaml`), { machines });
}

function runbook(name: string, body = 'sleep 1.5; echo "on $(id -un)"'): string {
  const file = join(dir, `${name}.md`);
  writeFileSync(
    file,
    `---\ntitle: ${name}\nroles: [app]\n---\n\n# Phase\n\n## Look\n\n\`\`\`sh {on=app}\n${body}\n\`\`\`\n`,
  );
  return file;
}

const journalOf = (stdout: string) => {
  const id = /run (\S+)/.exec(stdout)?.[1] ?? "";
  return readFileSync(join(dir, "state", "runs", id, "journal.jsonl"), "utf8");
};

describe("through one bastion", () => {
  test("two machines behind bastion1: both run, over channels bastion1 forwards, with ONE login on bastion1 for the whole run", async () => {
    const inv = inventory("one", {
      db1: { roles: ["app"], jump: "bastion1" },
      db2: { roles: ["app"], jump: "bastion1" },
    });
    const plan = runCli(["plan", runbook("one"), "-i", inv], { env });
    expect(plan.stdout).toMatch(/db1 +rbjump3@127\.0\.0\.122:\d+ via bastion1/);
    const before = marks();
    const r = await watchedRun(["run", runbook("one"), "-i", inv, "--yes"], env, [m("db1"), m("db2")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("on rbjump3");
    expect(r.stdout).toContain("on rbjump4");
    const b1 = since("bastion1", before.bastion1 ?? 0);
    expect(logins(b1)).toBe(1);
    expect(forwardsTo(b1, m("db1"))).toBe(1);
    expect(forwardsTo(b1, m("db2"))).toBe(1);
    expect(logins(since("db1", before.db1 ?? 0))).toBe(1);
    expect(logins(since("db2", before.db2 ?? 0))).toBe(1);
    // Who held the TCP connection into each target's sshd while the step ran: bastion1's sshd.
    for (const db of ["db1", "db2"]) {
      expect(r.holders[db]?.length ?? 0).toBeGreaterThan(0);
      for (const chain of r.holders[db] ?? []) {
        expect(chain).toContain(m("bastion1").pid);
        expect(chain).not.toContain(r.pid);
      }
    }
  }, 60_000);

  test("a changed bastion host key refuses the whole run (exit 4), with nothing run on any target", () => {
    const known = join(dir, "changed_known_hosts");
    const lines = readFileSync(harness.knownHosts, "utf8").replace(
      m("bastion1").knownHostsLine,
      `${m("bastion1").knownHostsLine.split(" ")[0]} ${m("nofwd").hostPublicKey}`,
    );
    writeFileSync(known, lines);
    const inv = inventory("changed", {
      db1: { roles: ["app"], jump: "bastion1" },
      db2: { roles: ["app"], jump: "bastion1" },
    });
    writeFileSync(inv, readFileSync(inv, "utf8").replaceAll(harness.knownHosts, known));
    const before = marks();
    const r = runCli(["run", runbook("changed", "touch ~/ran-changed"), "-i", inv, "--yes"], { env });
    expect(r.code).toBe(4);
    expect(r.stdout).toContain("could not reach db1 through bastion1: HOST KEY CHANGED for bastion1");
    expect(r.stdout).toContain("Nothing was run");
    expect(logins(since("bastion1", before.bastion1 ?? 0))).toBe(0);
    expect(logins(since("db1", before.db1 ?? 0))).toBe(0);
    expect(logins(since("db2", before.db2 ?? 0))).toBe(0);
    expect(journalOf(r.stdout)).not.toContain('"step-started"');
    expect(existsSync(join(m("db1").home, "ran-changed"))).toBe(false);
    expect(existsSync(join(m("db2").home, "ran-changed"))).toBe(false);
  }, 60_000);

  test("an unknown bastion key: refused by --yes (asked, answered by the runner); accepted when a person says so, and journaled", async () => {
    const known = join(dir, "unknown_known_hosts");
    writeFileSync(
      known,
      readFileSync(harness.knownHosts, "utf8").replace(`${m("bastion1").knownHostsLine}\n`, ""),
    );
    const inv = inventory("unknown", { db1: { roles: ["app"], jump: "bastion1" } });
    writeFileSync(inv, readFileSync(inv, "utf8").replaceAll(harness.knownHosts, known));
    const r = runCli(["run", runbook("unknown", "touch ~/ran-unknown"), "-i", inv, "--yes"], { env });
    expect(r.code).toBe(4);
    expect(r.stdout).toContain(`could not reach db1 through bastion1: unknown host key for bastion1`);
    expect(r.stdout).toContain(m("bastion1").fingerprint);
    const refused = journalOf(r.stdout);
    expect(refused).toContain(`"kind":"host-key","host":"bastion1"`);
    expect(refused).toContain(`"bastionFor":"db1"`);
    expect(refused).toContain(`"fingerprint":"${m("bastion1").fingerprint}","accepted":false`);
    expect(refused).not.toContain('"step-started"');
    // A person accepts it (the API's DecisionSource, as the terminal UI answers): it runs, the
    // journal has the fingerprint accepted, and known_hosts has the bastion now.
    const { run, plan } = await import("../../src/api.ts");
    const { autoDecisions } = await import("../../src/engine/decisions.ts");
    const result = await run(plan(runbook("unknown"), { inventory: inv }), {
      inventory: inv,
      decisions: { ...autoDecisions({ who: "jump-test" }), hostKey: async () => true },
      stateDir: join(dir, "state"),
    });
    expect(result.status).toBe("ok");
    const accepted = readFileSync(join(result.journalDir ?? "", "journal.jsonl"), "utf8");
    expect(accepted).toContain(
      `"host":"bastion1","fingerprint":"${m("bastion1").fingerprint}","accepted":true`,
    );
    expect(readFileSync(known, "utf8")).toContain(m("bastion1").hostPublicKey);
  }, 60_000);

  test("a bastion that does not forward, and one that is not there: errors that name the hop, nothing run", () => {
    const inv = inventory("nofwd", { db1: { roles: ["app"], jump: "nofwd" } });
    const r = runCli(["run", runbook("nofwd", "touch ~/ran-nofwd"), "-i", inv, "--yes"], { env });
    expect(r.code).toBe(4);
    expect(existsSync(join(m("db1").home, "ran-nofwd"))).toBe(false);
    expect(r.stdout).toMatch(
      /nofwd reached, but db1 \(rbjump3@127\.0\.0\.122:\d+\) cannot be reached from it/,
    );
    const b = m("bastion1");
    const gone = inventory("gone", { db1: { roles: ["app"], jump: `${b.user}@${b.address}:1` } });
    const g = runCli(["run", runbook("gone", "touch ~/ran-gone"), "-i", gone, "--yes"], { env });
    expect(g.code).toBe(4);
    expect(g.stdout).toContain(
      `could not reach db1 through ${b.user}@${b.address}:1: cannot connect to ${b.user}@${b.address}:1 (${b.user}@${b.address}:1): connection refused`,
    );
  }, 60_000);
});

describe("chains and the ssh config", () => {
  test("a chain of two bastions: bastion1 forwards to bastion2, bastion2 to db2", async () => {
    const inv = inventory("chain", {
      bastion2: { jump: "bastion1" },
      db2: { roles: ["app"], jump: "bastion2" },
    });
    expect(runCli(["plan", runbook("chain"), "-i", inv], { env }).stdout).toContain(
      "via bastion1 → bastion2",
    );
    const before = marks();
    const r = await watchedRun(["run", runbook("chain"), "-i", inv, "--yes"], env, [m("db2")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("on rbjump4");
    const b1 = since("bastion1", before.bastion1 ?? 0);
    const b2 = since("bastion2", before.bastion2 ?? 0);
    expect([logins(b1), logins(b2)]).toEqual([1, 1]);
    expect(forwardsTo(b1, m("bastion2"))).toBe(1);
    expect(forwardsTo(b1, m("db2"))).toBe(0);
    expect(forwardsTo(b2, m("db2"))).toBe(1);
    expect(r.holders.db2?.length ?? 0).toBeGreaterThan(0);
    for (const chain of r.holders.db2 ?? []) expect(chain).toContain(m("bastion2").pid);
  }, 60_000);

  test("ProxyJump in ~/.ssh/config is honoured, a user@host:port hop with the machine's key and known_hosts", () => {
    const home = join(dir, "home");
    mkdirSync(join(home, ".ssh"), { recursive: true });
    const b = m("bastion1");
    writeFileSync(
      join(home, ".ssh", "config"),
      `Host ${m("db1").address}\n  ProxyJump ${b.user}@${b.address}:${b.port}\n`,
    );
    const inv = inventory("proxyjump", { db1: { roles: ["app"] } });
    const hopName = `${b.user}@${b.address}:${b.port}`;
    expect(
      runCli(["plan", runbook("proxyjump"), "-i", inv], { env: { ...env, HOME: home } }).stdout,
    ).toContain(`via ${hopName}`);
    const before = marks();
    const r = runCli(["run", runbook("proxyjump"), "-i", inv, "--yes"], { env: { ...env, HOME: home } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("on rbjump3");
    expect(forwardsTo(since("bastion1", before.bastion1 ?? 0), m("db1"))).toBe(1);
  }, 60_000);
});

describe("inventory mistakes", () => {
  test("a bastion's missing key file is found before any login, with the bastion's file:line (exit 2)", () => {
    const before = marks();
    const inv = inventory("nokey", { db1: { roles: ["app"], jump: "bastion1" } });
    const text = readFileSync(inv, "utf8");
    const at = text.indexOf("bastion1:");
    writeFileSync(
      inv,
      text.slice(0, at) + text.slice(at).replace(harness.clientKey, join(dir, "no-such-key")),
    );
    const r = runCli(["run", runbook("nokey"), "-i", inv, "--yes"], { env });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(
      new RegExp(
        `${inv}:\\d+:\\d+: the identity of machine bastion1, ${join(dir, "no-such-key")}, does not exist`,
      ),
    );
    expect(logins(since("bastion1", before.bastion1 ?? 0))).toBe(0);
    expect(logins(since("db1", before.db1 ?? 0))).toBe(0);
  }, 60_000);

  test("an unknown jump machine and a circle of jumps: exit 2 with the inventory's file:line and the fix", () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "hosts:\n  bastion1: {}\n  db1:\n    roles: [app]\n    jump: bastoin1\n");
    const r = runCli(["plan", runbook("bad"), "-i", bad], { env });
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).toContain(
      `${bad}:5:11: jump of db1 names "bastoin1", which is not a machine of the inventory`,
    );
    expect(r.stderr + r.stdout).toContain("bastion1");
    const circle = join(dir, "circle.yaml");
    writeFileSync(circle, "hosts:\n  b1: { jump: db1 }\n  db1: { roles: [app], jump: b1 }\n");
    const c = runCli(["run", runbook("circle"), "-i", circle, "--yes"], { env });
    expect(c.code).toBe(2);
    expect(c.stderr + c.stdout).toContain("the jumps go round in a circle (b1 → db1 → b1)");
    expect(c.stderr + c.stdout).toContain(`${circle}:3:`);
  }, 60_000);
});
