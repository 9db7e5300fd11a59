import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listRuns } from "../../src/engine/journal.ts";
import { type SshdHarness, type SshdMachine, startSshdHarness } from "../helpers/sshd-harness.ts";
import { REPO, runCli } from "./run-cli.ts";

/**
 * What an on-call engineer relies on says what happened, against real OpenSSH machines: a check that
 * checked nothing and a run in which nothing ran are not "ok"; a headless run refuses before step 1
 * whatever it can know before step 1; the journal says who decided what.
 */
let harness: SshdHarness;
let dir: string;
let env: Record<string, string>;
let cluster: string;

beforeAll(async () => {
  harness = await startSshdHarness({ count: 3, lockWaitMs: 30_000 });
  dir = mkdtempSync(join(tmpdir(), "runbook-trust-"));
  env = { RUNBOOK_STATE_DIR: join(dir, "state") };
  // A cluster layout as the RocketMQ runbooks read it: a NameServer, broker-a, and a third machine that
  // plays broker-b (no role of the single-master runbook).
  cluster = harness.writeInventory(join(dir, "cluster.yaml"), {
    machines: { m1: { roles: ["nameserver"] }, m2: { roles: ["broker-a"] }, m3: { roles: ["broker-b"] } },
  });
}, 60_000);

afterAll(async () => {
  await harness?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Logins each machine's sshd accepted so far. */
const logins = () =>
  harness.machines.map((m) => (readFileSync(m.logFile, "utf8").match(/Accepted publickey/g) ?? []).length);

const newestJournal = (name: string) => {
  const runs = join(dir, "state", "runs");
  // In the order they started: two runs of a test can start in the same second.
  const id = listRuns(join(dir, "state"))
    .filter((d) => d.includes(name))
    .at(-1);
  return { id: id ?? "", text: id ? readFileSync(join(runs, id, "journal.jsonl"), "utf8") : "" };
};

function rb(name: string, body: string, front = "roles: [app]\n"): string {
  const file = join(dir, `${name}.md`);
  writeFileSync(file, `---\ntitle: ${name}\n${front}---\n\n# Phase\n\n${body}`);
  return file;
}

describe("no green for nothing", () => {
  test("the health check where nothing is deployed: every machine not applicable, nothing checked, exit 5", () => {
    const r = runCli(["run", join(REPO, "runbooks/rocketmq/health-check.md"), "-i", cluster, "--yes"], {
      env,
    });
    expect(r.code).toBe(5);
    expect(r.stdout).toContain("m2: not applicable: no broker configured on this machine");
    expect(r.stdout).not.toMatch(/m\d: ok/);
    expect(r.stdout).toContain(
      "run finished: nothing checked: every step was not applicable on every machine",
    );
    expect(r.stdout).toMatch(/0 of \d+ steps ran/);
    const { text } = newestJournal("health-check");
    expect(text).toContain('"status":"not-applicable"');
    expect(text).toContain('"status":"empty"');
  }, 60_000);

  test("--limit a machine with no role in the runbook: plan says nothing would run; the run says nothing ran (exit 5), logging in nowhere", () => {
    const single = join(REPO, "runbooks/rocketmq/single-master.md");
    const plan = runCli(["plan", single, "-i", cluster, "--limit", "m3"], { env });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("nothing would run: no machine of the plan matches its steps (--limit m3)");
    const before = logins();
    const r = runCli(["run", single, "-i", cluster, "--limit", "m3", "--yes"], { env });
    expect(r.code).toBe(5);
    expect(r.stdout).toContain("run finished: nothing ran: no machine of the plan matched its steps");
    expect(r.stdout).not.toContain("run finished: ok");
    expect(logins()).toEqual(before);
    // The runner skipped them, not a person: the journal and the timeline say so.
    const { id, text } = newestJournal("single-master");
    expect(text).toContain('"by":"the runner"');
    expect(text).not.toContain('"kind":"skip","reason":"no machine matches its on= and when="},"by":"--yes');
    expect(runCli(["log", id, "--timeline"], { env }).stdout).toMatch(
      /skipped: no machine matches its on= and when= \| the runner \|/,
    );
  }, 60_000);
});

describe("refuse before anything runs", () => {
  test("teardown --yes without --confirm is refused before step 1: no process is stopped", async () => {
    const m = harness.machine("m2");
    const fake = startFakeBroker(m);
    try {
      const r = runCli(["run", join(REPO, "runbooks/rocketmq/teardown.md"), "-i", cluster, "--yes"], { env });
      expect(r.code).toBe(4);
      expect(r.stdout).toContain(
        'refused: step wipe-stores ("Delete the stores, configurations and logs") is destructive and this run cannot confirm it: add --confirm "DefaultCluster"',
      );
      expect(r.stdout).not.toContain("==> ");
      expect(alive(fake)).toBe(true);
      expect(newestJournal("tear-down").text).not.toContain('"step-started"');
      // The obvious next run, with the word, is not refused by a lock the first one left.
      const again = runCli(
        [
          "run",
          join(REPO, "runbooks/rocketmq/teardown.md"),
          "-i",
          cluster,
          "--yes",
          "--confirm",
          "DefaultCluster",
        ],
        { env },
      );
      expect(again.stdout).toContain("stopping the broker started with");
      expect(again.code).toBe(0);
      expect(newestJournal("tear-down").text).toContain(
        '"decision":{"kind":"word","right":true,"attempt":1}',
      );
    } finally {
      Bun.spawnSync(["kill", "-9", String(fake)]);
    }
  }, 60_000);

  test("a read-only runbook with one machine's host key changed runs nothing anywhere (exit 4)", () => {
    const known = join(dir, "known_hosts.changed");
    const m3 = harness.machine("m3");
    writeFileSync(
      known,
      readFileSync(harness.knownHosts, "utf8").replace(m3.hostPublicKey, harness.machine("m1").hostPublicKey),
    );
    const inv = join(dir, "inv-changed.yaml");
    writeFileSync(
      inv,
      readFileSync(
        harness.writeInventory(inv, {
          machines: { m1: { roles: ["app"] }, m2: { roles: ["app"] }, m3: { roles: ["app"] } },
        }),
        "utf8",
      ).replaceAll(harness.knownHosts, known),
    );
    const file = rb("readonly", "## Look {#look}\n\n```sh {on=app risk=read}\ntouch ~/looked\n```\n");
    const r = runCli(["run", file, "-i", inv, "--yes", "--break-lock"], { env });
    expect(r.code).toBe(4);
    expect(r.stdout).toContain("HOST KEY CHANGED for m3");
    for (const m of harness.machines) expect(existsSync(join(m.home, "looked"))).toBe(false);
  }, 60_000);

  test("an identity file missing, a directory, or not a key: exit 2 with the inventory's line, before any login", () => {
    const file = rb("identity", "## Touch {#touch}\n\n```sh {on=app}\ntouch ~/touched-id\n```\n");
    const garbage = join(dir, "garbage.key");
    writeFileSync(garbage, "this is not a key\n");
    mkdirSync(join(dir, "a-directory"), { recursive: true });
    for (const [identity, why] of [
      [join(dir, "no-such.key"), "does not exist"],
      [join(dir, "a-directory"), "is a directory, not a key file"],
      [garbage, "is not a private key ssh can use"],
    ] as const) {
      const inv = harness.writeInventory(join(dir, "inv-id.yaml"), {
        machines: { m1: { roles: ["app"] }, m2: { roles: ["app"] }, m3: { roles: ["app"] } },
      });
      // Only m3's key is wrong.
      const lines = readFileSync(inv, "utf8").split("\n");
      const m3 = lines.findIndex((l) => l.startsWith("  m3:"));
      const at = lines.findIndex((l, i) => i > m3 && l.trimStart().startsWith("identity:"));
      lines[at] = `    identity: ${identity}`;
      writeFileSync(inv, lines.join("\n"));
      const before = logins();
      const r = runCli(["run", file, "-i", inv, "--yes", "--break-lock"], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`inv-id.yaml:${at + 1}:5: the identity of machine m3, ${identity}, ${why}`);
      expect(logins()).toEqual(before);
      for (const m of harness.machines) expect(existsSync(join(m.home, "touched-id"))).toBe(false);
    }
  }, 60_000);

  test("an encrypted key: refused headless without RUNBOOK_SSH_PASSPHRASE, a wrong one is called wrong, the right one runs", () => {
    const key = join(dir, "enc_ed25519");
    const made = Bun.spawnSync([
      "ssh-keygen",
      "-q",
      "-t",
      "ed25519",
      "-a",
      "2",
      "-N",
      "right-pass",
      "-f",
      key,
    ]);
    expect(made.exitCode).toBe(0);
    harness.authorize(readFileSync(`${key}.pub`, "utf8"));
    const inv = harness.writeInventory(join(dir, "inv-enc.yaml"), {
      machines: { m1: { roles: ["app"] }, m2: { roles: ["app"] } },
    });
    writeFileSync(inv, readFileSync(inv, "utf8").replaceAll(harness.clientKey, key));
    const file = rb("encrypted", "## Touch {#touch}\n\n```sh {on=app}\necho in\n```\n");
    const none = runCli(["run", file, "-i", inv, "--yes", "--break-lock"], { env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      "is encrypted and no passphrase can be asked in this run: set RUNBOOK_SSH_PASSPHRASE",
    );
    const wrong = runCli(["run", file, "-i", inv, "--yes", "--break-lock"], {
      env: { ...env, RUNBOOK_SSH_PASSPHRASE: "nope" },
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("is encrypted and the passphrase given is wrong");
    const right = runCli(["run", file, "-i", inv, "--yes", "--break-lock"], {
      env: { ...env, RUNBOOK_SSH_PASSPHRASE: "right-pass" },
    });
    expect(right.code).toBe(0);
    expect(right.stdout).toContain("m2 | in");
  }, 60_000);
});

describe("output as an operator reads it", () => {
  test("runbook log lists each run with who ran it and how long it took", () => {
    const file = rb("timed", "## Wait {#wait}\n\n```sh {on=app}\nsleep 1.2\n```\n");
    const inv = harness.writeInventory(join(dir, "inv-log.yaml"), { machines: { m1: { roles: ["app"] } } });
    expect(runCli(["run", file, "-i", inv, "--yes", "--break-lock"], { env }).code).toBe(0);
    const list = runCli(["log"], { env }).stdout;
    const line = list.split("\n").find((l) => l.includes("-timed-")) ?? "";
    expect(line).toMatch(/ ok {9} timed {2}by \S+@\S+ · [12]s$/);
  }, 60_000);

  test("a failed machine's reason and last lines are in the run's summary, plain and JSON", () => {
    const file = rb(
      "whyfail",
      "## Break {#break}\n\n```sh {on=app}\necho working; echo 'cp: cannot create regular file /opt/app/bin/a-very-long-name-that-would-be-cut-at-the-pane-width: Permission denied' >&2; exit 3\n```\n",
    );
    const inv = harness.writeInventory(join(dir, "inv-fail.yaml"), { machines: { m1: { roles: ["app"] } } });
    const r = runCli(["run", file, "-i", inv, "--yes", "--break-lock"], { env });
    expect(r.code).toBe(1);
    const end = r.stdout.slice(r.stdout.indexOf("  failed on m1"));
    expect(end).toContain("  failed on m1: step 1/1 Break, exit 3\n");
    expect(end).toContain(
      "      cp: cannot create regular file /opt/app/bin/a-very-long-name-that-would-be-cut-at-the-pane-width: Permission denied\n",
    );
    const json = runCli(["run", file, "-i", inv, "--yes", "--json", "--break-lock"], { env });
    const finished = json.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((e) => e.type === "run-finished");
    expect(finished.failures).toEqual([
      {
        stepId: "break",
        host: "m1",
        status: "failed",
        exitCode: 3,
        error: "exit code 3",
        tail: [
          "cp: cannot create regular file /opt/app/bin/a-very-long-name-that-would-be-cut-at-the-pane-width: Permission denied",
        ],
      },
    ]);
  }, 60_000);

  test("escape codes never reach the plain output, log or timeline; the journal keeps the raw bytes", () => {
    const file = rb(
      "colours",
      "## Colour {#colour}\n\n```sh {on=app}\nprintf '\\033[0m\\033[1;32mApache Maven 3.8.7\\033[0m\\n 10%%\\r 100%%\\n'\n```\n",
    );
    const inv = harness.writeInventory(join(dir, "inv-colour.yaml"), {
      machines: { m1: { roles: ["app"] } },
    });
    const r = runCli(["run", file, "-i", inv, "--yes", "--break-lock"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("m1 | Apache Maven 3.8.7\n");
    expect(r.stdout).toContain("m1 |  100%\n");
    const { id, text } = newestJournal("colours");
    expect(text).toContain("\\u001b[1;32mApache Maven");
    for (const out of [
      r.stdout,
      runCli(["log", id], { env }).stdout,
      runCli(["log", id, "--timeline"], { env }).stdout,
    ]) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for escape codes is the point
      expect(out).not.toMatch(/[\x1b\r]/);
    }
  }, 60_000);
});

/**
 * A process that the teardown runbook takes for a broker of machine `m` (a `java` whose command line
 * has BrokerStartup -c CONF), started as the machine's user.
 */
function startFakeBroker(m: SshdMachine): number {
  const conf = join(m.home, "rocketmq-node", "conf");
  mkdirSync(conf, { recursive: true });
  writeFileSync(join(conf, "broker.properties"), "brokerClusterName=DefaultCluster\nbrokerName=broker-a\n");
  mkdirSync(join(m.home, "fakebin"), { recursive: true });
  copyFileSync("/bin/bash", join(m.home, "fakebin", "java"));
  chmodSync(join(m.home, "fakebin", "java"), 0o755);
  Bun.spawnSync(["chown", "-R", `${m.user}:`, join(m.home, "rocketmq-node"), join(m.home, "fakebin")]);
  const script = `setsid ${m.home}/fakebin/java -c 'sleep 120; :' BrokerStartup -c ${conf}/broker.properties </dev/null >/dev/null 2>&1 & echo $!`;
  const r = Bun.spawnSync(["runuser", "-u", m.user, "--", "bash", "-c", script]);
  const pid = Number(r.stdout.toString().trim());
  if (!Number.isInteger(pid) || pid <= 1)
    throw new Error(`fake broker did not start: ${r.stderr.toString()}`);
  return pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
