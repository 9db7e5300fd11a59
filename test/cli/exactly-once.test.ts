import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listRuns } from "../../src/engine/journal.ts";
import { type SshdHarness, startSshdHarness } from "../helpers/sshd-harness.ts";
import { REPO, runCli } from "./run-cli.ts";

/**
 * A step never runs twice at the same time on a machine, against real OpenSSH machines: not after a
 * lost connection, not through a renamed inventory, not through a second terminal, not when two runs
 * race for the same machines; and the journal stays whole after a crash.
 */
let harness: SshdHarness;
let dir: string;
let inventory: string;
let env: Record<string, string>;

beforeAll(async () => {
  harness = await startSshdHarness({ count: 2, lockWaitMs: 30_000 });
  dir = mkdtempSync(join(tmpdir(), "runbook-once-"));
  inventory = harness.writeInventory(join(dir, "inventory.yaml"), {
    machines: { m1: { roles: ["app"] }, m2: { roles: ["app"] } },
  });
  env = { RUNBOOK_STATE_DIR: join(dir, "state") };
}, 60_000);

afterAll(async () => {
  await harness?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runbook(name: string, body: string): string {
  const file = join(dir, `${name}.md`);
  writeFileSync(file, `---\ntitle: ${name}\nroles: [app]\n---\n\n# Phase\n\n${body}`);
  return file;
}

function spawnCli(args: string[]) {
  return Bun.spawn(["bun", join(REPO, "src", "cli", "main.ts"), ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
}

async function until(what: string, f: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

/** The newest run whose id contains `name`, and its journal's events. */
function newestRun(name: string): { id: string; journal: string } {
  const runs = join(dir, "state", "runs");
  // In the order they started: two runs of a test can start in the same second.
  const id =
    listRuns(join(dir, "state"))
      .filter((d) => d.includes(name))
      .at(-1) ?? "";
  return { id, journal: id ? join(runs, id, "journal.jsonl") : "" };
}

const lines = (file: string) =>
  existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean).length : 0;

describe("a lost connection", () => {
  test("is unknown, not failed: resume never runs it again while it runs there, and only on a decision after", async () => {
    const m = harness.machine("m1");
    rmSync(join(m.home, "lost-done"), { force: true });
    const file = runbook(
      "lost",
      "## Slow {#slow}\n\n```sh {on=@m1}\ntouch ~/lost-started; sleep 5; echo x >> ~/lost-done\n```\n",
    );
    const proc = spawnCli(["run", file, "-i", inventory, "--yes", "--break-lock"]);
    await until("the command to start", () => existsSync(join(m.home, "lost-started")));
    // The connection's own sshd process dies (as when a session is dropped); the command goes on.
    Bun.spawnSync(["pkill", "-KILL", "-u", m.user, "-x", "sshd"]);
    const out = await new Response(proc.stdout).text();
    const err = await new Response(proc.stderr).text();
    expect(await proc.exited).toBe(3);
    expect(out).toContain("lost the connection to m1");
    expect(out).toContain("still running there (process group");
    expect(err).toContain("--unknown rerun or --unknown done");
    const { id, journal } = newestRun("lost");
    const finished = readFileSync(journal, "utf8")
      .split("\n")
      .filter((l) => l.includes('"host-finished"'));
    expect(finished.at(-1)).toContain('"status":"unknown"');
    expect(readFileSync(journal, "utf8")).not.toContain('"status":"failed"');
    // While it still runs: not even --unknown rerun runs it again.
    const early = runCli(["resume", id, "--yes", "--unknown", "rerun"], { env });
    expect(early.code).toBe(3);
    expect(early.stdout).toContain("not run again, because its command is still running there");
    await until("the first command to finish", () => existsSync(join(m.home, "lost-done")));
    // It ended: still nobody decided, so a plain resume stops again.
    const undecided = runCli(["resume", id, "--yes"], { env });
    expect(undecided.code).toBe(3);
    expect(undecided.stdout).toContain("not running any more");
    const done = runCli(["resume", id, "--yes", "--unknown", "done"], { env });
    expect(done.code).toBe(0);
    expect(readFileSync(join(m.home, "lost-done"), "utf8")).toBe("x\n");
  }, 60_000);
});

describe("per machine: each unknown machine is looked at and decided about on its own", () => {
  test("--unknown rerun runs it again where it ended, never where it still runs", async () => {
    const [m1, m2] = [harness.machine("m1"), harness.machine("m2")];
    for (const m of [m1, m2]) for (const f of ["pm", "pm-start"]) rmSync(join(m.home, f), { force: true });
    const file = runbook(
      "permachine",
      '## Step {#step}\n\n```sh {on=app}\necho s >> ~/pm-start\nif [ "$(whoami)" = rbtest2 ]; then sleep 6; else sleep 1; fi\necho x >> ~/pm\n```\n',
    );
    const proc = spawnCli(["run", file, "-i", inventory, "--yes", "--break-lock"]);
    await until(
      "both to start",
      () => lines(join(m1.home, "pm-start")) === 1 && lines(join(m2.home, "pm-start")) === 1,
    );
    proc.kill(9);
    await proc.exited;
    await until("m1's command to end", () => lines(join(m1.home, "pm")) === 1);
    const { id } = newestRun("permachine");
    const r = runCli(["resume", id, "--yes", "--unknown", "rerun"], { env });
    // m1's command had ended: it is to run again there. m2's still runs: not there, and the step
    // does not run anywhere until every machine of it is decided about.
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("m1: unknown for not running any more");
    expect(r.stdout).toContain("m2: not run again, because its command is still running there");
    expect(lines(join(m1.home, "pm-start"))).toBe(1);
    expect(lines(join(m2.home, "pm-start"))).toBe(1);
    await until("m2's command to end", () => lines(join(m2.home, "pm")) === 1);
    const done = runCli(["resume", id, "--yes", "--unknown", "done"], { env });
    expect(done.code).toBe(0);
    // m1 ran once more (as decided), m2 was counted as done (it had ended): once each, never twice at once.
    expect(lines(join(m1.home, "pm-start"))).toBe(2);
    expect(lines(join(m2.home, "pm-start"))).toBe(1);
    const journal = readFileSync(newestRun("permachine").journal, "utf8");
    expect(journal).toContain('"decision":{"kind":"rerun","hosts":["m1"]}');
    expect(journal).toContain('"decision":{"kind":"done","hosts":["m2"]}');
  }, 60_000);
});

describe("locks", () => {
  test("the same machines under other names are refused: the lock is the machine's, not the name's", async () => {
    // The first run holds its machines until the test lets it go: however slow the second is to
    // start, it finds them locked (a fixed sleep let the first finish first on a busy machine).
    const release = `/tmp/runbook-test-release-${process.pid}`;
    rmSync(release, { force: true });
    const file = runbook(
      "renamed",
      `## Slow {#slow}\n\n\`\`\`sh {on=app}\ni=0; while [ ! -e ${release} ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; echo x >> ~/renamed\n\`\`\`\n`,
    );
    const first = spawnCli(["run", file, "-i", inventory, "--yes", "--break-lock"]);
    try {
      await until("the first run's lock", () =>
        existsSync(join(harness.machine("m1").home, ".runbook", "lock", "info")),
      );
      const renamed = join(dir, "renamed.yaml");
      writeFileSync(
        renamed,
        readFileSync(inventory, "utf8")
          .replace(/^ {2}m1:/m, "  alpha:")
          .replace(/^ {2}m2:/m, "  beta:"),
      );
      const second = runCli(["run", file, "-i", renamed, "--yes"], { env });
      expect(second.code).toBe(4);
      expect(second.stdout).toMatch(
        /refused: machine (alpha|beta) is locked by \S+ \(run \S*renamed\S*, pid \d+/,
      );
    } finally {
      writeFileSync(release, "");
      expect(await first.exited).toBe(0);
      rmSync(release, { force: true });
    }
    for (const m of harness.machines) expect(lines(join(m.home, "renamed"))).toBe(1);
  }, 60_000);

  test("runbook resume from a second terminal never takes over a live run", async () => {
    const release = `/tmp/runbook-test-release-second-${process.pid}`;
    rmSync(release, { force: true });
    const file = runbook(
      "second",
      `## Slow {#slow}\n\n\`\`\`sh {on=app}\ni=0; while [ ! -e ${release} ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; echo x >> ~/second\n\`\`\`\n`,
    );
    const first = spawnCli(["run", file, "-i", inventory, "--yes", "--break-lock"]);
    await until(
      "the run to start",
      () => newestRun("second").id !== "" && existsSync(newestRun("second").journal),
    );
    const { id } = newestRun("second");
    const other = runCli(["resume", id, "--yes", "--unknown", "rerun"], { env });
    expect(other.code).toBe(4);
    expect(other.stderr).toContain(`refused: run ${id} is being run right now by`);
    expect(other.stderr).toContain("a live runner is never taken over");
    writeFileSync(release, "");
    expect(await first.exited).toBe(0);
    rmSync(release, { force: true });
    for (const m of harness.machines) expect(lines(join(m.home, "second"))).toBe(1);
  }, 60_000);

  test("two runs racing for the same machines: one always runs, the other is refused, ten times in a row", async () => {
    const file = runbook("race", "## Both {#both}\n\n```sh {on=app}\necho x >> ~/race; sleep 0.5\n```\n");
    for (const m of harness.machines) rmSync(join(m.home, "race"), { force: true });
    for (let i = 0; i < 10; i++) {
      const a = spawnCli(["run", file, "-i", inventory, "--yes"]);
      const b = spawnCli(["run", file, "-i", inventory, "--yes"]);
      const codes = [await a.exited, await b.exited].sort();
      // Both may run one after the other (the first done before the second looked): never both refused.
      expect(codes[0]).toBe(0);
      expect([0, 4]).toContain(codes[1] as number);
    }
    const runs = readdirSync(join(dir, "state", "runs")).filter((d) => d.includes("race")).length;
    expect(runs).toBe(20);
  }, 120_000);
});

describe("the journal", () => {
  test("a torn last line (a crash mid-write) is set aside, and the resumed journal is whole JSON lines", () => {
    const file = runbook(
      "torn",
      "## One {#one}\n\n```sh {on=app}\ntrue\n```\n\n## Two {#two}\n\n```sh {on=app}\n[ -f ~/torn-ok ]\n```\n",
    );
    for (const m of harness.machines) rmSync(join(m.home, "torn-ok"), { force: true });
    const failed = runCli(["run", file, "-i", inventory, "--yes", "--break-lock"], { env });
    expect(failed.code).toBe(1);
    const { id, journal } = newestRun("torn");
    appendFileSync(journal, '{"type":"host-status","at":"2026-12-0');
    for (const m of harness.machines) writeFileSync(join(m.home, "torn-ok"), "");
    const resumed = runCli(["resume", id, "--yes"], { env });
    expect(resumed.code).toBe(0);
    for (const line of readFileSync(journal, "utf8").split("\n").filter(Boolean))
      expect(() => JSON.parse(line)).not.toThrow();
    expect(readFileSync(join(dir, "state", "runs", id, "torn.txt"), "utf8")).toContain(
      '{"type":"host-status","at":"2026-12-0',
    );
    expect(runCli(["log", id], { env }).stdout).toContain("run finished: ok");
  }, 60_000);
});
