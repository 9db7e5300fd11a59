import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listRuns } from "../../src/engine/journal.ts";
import { type SshdHarness, startSshdHarness } from "../helpers/sshd-harness.ts";
import { REPO, runCli } from "./run-cli.ts";

/**
 * `runbook run --yes` as a user runs it: the real CLI in a child process, against real OpenSSH servers
 * on loopback, each machine its own user and home.
 */
let harness: SshdHarness;
let dir: string;
let inventory: string;
let env: Record<string, string>;

beforeAll(async () => {
  harness = await startSshdHarness({ count: 4, lockWaitMs: 30_000 });
  dir = mkdtempSync(join(tmpdir(), "runbook-run-ssh-"));
  inventory = harness.writeInventory(join(dir, "inventory.yaml"), {
    machines: {
      m1: { roles: ["app"] },
      m2: { roles: ["app"] },
      m3: { roles: ["app"] },
      m4: { roles: ["app"] },
    },
  });
  env = { RUNBOOK_STATE_DIR: join(dir, "state") };
}, 60_000);

afterAll(async () => {
  await harness?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runbook(name: string, body: string, vars = ""): string {
  const file = join(dir, `${name}.md`);
  writeFileSync(
    file,
    `---\ntitle: ${name}\nroles: [app]\nvars:\n  word: { default: "hello" }\n  token: { secret: true }\n${vars}---\n\n# Phase\n\n${body}`,
  );
  return file;
}

const journalOf = (stdout: string) => {
  const id = /run (\S+)/.exec(stdout)?.[1] ?? "";
  return readFileSync(join(dir, "state", "runs", id, "journal.jsonl"), "utf8");
};

async function runInBackground(args: string[]) {
  const proc = Bun.spawn(["bun", join(REPO, "src", "cli", "main.ts"), ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return proc;
}

describe("runbook run over ssh", () => {
  test("a step fans out to 4 machines; plain output, each machine's lines prefixed, journal written", () => {
    const file = runbook("fanout", "## Who {#who}\n\n```sh {on=app}\necho {{ word }} from $(whoami)\n```\n");
    const r = runCli(["run", file, "-i", inventory, "--yes"], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    for (const m of harness.machines) expect(r.stdout).toContain(`${m.name} | hello from ${m.user}\n`);
    expect(r.stdout).toContain("run finished: ok");
    expect(r.stdout).not.toContain("\x1b[");
    const journal = journalOf(r.stdout);
    expect(
      journal
        .split("\n")
        .filter(Boolean)
        .every((l) => JSON.parse(l).type),
    ).toBe(true);
    expect(journal).toContain('"decision":{"kind":"run"},"by":"--yes by ');
  });

  test("keep-going checks: every check runs, the run ends failed (exit 1) listing the failed ones; the timeline says so", () => {
    const file = runbook(
      "checks",
      [
        "## Is it m2 {#is-m2}\n\n```sh {on=app risk=read keep-going}\n[ $(whoami) = " +
          "{{ host.user }} ] && [ {{ host.name }} = m2 ] || { echo not m2 >&2; exit 1; }\n```\n",
        "## Disk {#disk}\n\n```sh {on=app risk=read keep-going}\necho disk fine on {{ host.name }}\n```\n",
      ].join("\n"),
    );
    const r = runCli(["run", file, "-i", inventory, "--yes"], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("m1 ! not m2");
    expect(r.stdout).toContain(
      "    step is-m2: failed (a keep-going check: the run goes on and reports it at the end)\n",
    );
    for (const m of harness.machines) expect(r.stdout).toContain(`${m.name} | disk fine on ${m.name}`);
    expect(r.stdout).toContain("run finished: failed: 1 check failed: is-m2\n");
    const runId = /run (\S+)/.exec(r.stdout)?.[1] ?? "";
    const timeline = runCli(["log", runId, "--timeline"], { env });
    expect(timeline.stdout).toContain("- result: **failed**");
    expect(timeline.stdout).toContain("(checks failed: `is-m2`)");
  });

  test("a background process plus a log-line wait: returns once the new line is written, ignoring an old one", () => {
    for (const m of harness.machines) {
      writeFileSync(join(m.home, "svc.log"), "ready from an earlier boot\n");
      chownSync(join(m.home, "svc.log"), m.uid, m.uid);
    }
    const file = runbook(
      "background",
      '## Start {#start}\n\n```sh {on=app background wait-log="~/svc.log" wait-for="^ready pid [0-9]+" timeout=30s}\necho booting >> ~/svc.log; sleep 1; echo "ready pid $$" >> ~/svc.log; exec sleep 60\n```\n\n' +
        "## Still running {#still}\n\n```sh {on=app}\npgrep -u $(whoami) -x sleep >/dev/null && echo alive\n```\n\n" +
        "## Stop {#stop}\n\n```sh {on=app}\npkill -u $(whoami) -x sleep && echo stopped\n```\n",
    );
    const r = runCli(["run", file, "-i", inventory, "--yes", "--break-lock"], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    for (const m of harness.machines) {
      expect(r.stdout).toMatch(new RegExp(`${m.name} \\| started in the background, pid \\d+`));
      expect(r.stdout).toMatch(new RegExp(`${m.name} \\| ready pid \\d+`));
      expect(r.stdout).toContain(`${m.name} | alive`);
    }
    // The old line was there before the step started: it never counted, and it is not shown again.
    expect(r.stdout).not.toContain("from an earlier boot");
  }, 60_000);

  test("a variable such as $(touch /tmp/x) or ; rm -rf is passed as text, never executed", () => {
    const marker = join(dir, "pwned");
    const file = runbook("inject", "## Echo\n\n```sh {on=app}\necho {{ word }}\n```\n");
    const hostile = `$(touch ${marker}); touch ${marker}2 \`touch ${marker}3\``;
    const r = runCli(["run", file, "-i", inventory, "--yes", "--var", `word=${hostile}`], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`m1 | ${hostile}\n`);
    for (const f of [marker, `${marker}2`, `${marker}3`]) expect(existsSync(f)).toBe(false);
  });

  test("a secret never appears on screen, in the journal or in the plan", () => {
    const file = runbook(
      "secret",
      "## Use\n\n```sh {on=app}\necho token={{ token }}; echo {{ token }} >&2\n```\n",
    );
    const secret = "hunter2-very-secret";
    const r = runCli(["run", file, "-i", inventory, "--yes"], {
      env: { ...env, RUNBOOK_SECRET_TOKEN: secret },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("m1 | token=••••••");
    const id = /run (\S+)/.exec(r.stdout)?.[1] ?? "";
    const runDir = join(dir, "state", "runs", id);
    for (const text of [
      r.stdout,
      r.stderr,
      readFileSync(join(runDir, "journal.jsonl"), "utf8"),
      readFileSync(join(runDir, "plan.json"), "utf8"),
    ]) {
      expect(text).not.toContain(secret);
    }
    const missing = runCli(["run", file, "-i", inventory, "--yes"], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("set RUNBOOK_SECRET_TOKEN in the environment");
  });

  test("failure, retry and rollback hint: a failing step stops the run with exit 1 and a resume hint", () => {
    const file = runbook(
      "failing",
      "## Fails on one {#fails}\n\n```sh {on=app retries=1 retry-delay=100ms}\n[ $(whoami) != rbtest2 ] || { echo broken on $(whoami) >&2; exit 3; }\n```\n\n## Never {#never}\n\n```sh {on=app}\ntouch ~/never\n```\n",
    );
    const r = runCli(["run", file, "-i", inventory, "--yes", "--break-lock"], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("m2 ! broken on rbtest2");
    expect(r.stdout).toContain("m2 ! runbook: attempt 1 failed (exit code 3); retrying");
    expect(r.stdout).toContain("m2: FAILED exit 3");
    expect(r.stdout).toContain("run finished: failed at step fails");
    expect(r.stderr).toContain("resume with: runbook resume");
    expect(existsSync(join(harness.machine("m1").home, "never"))).toBe(false);
  });

  test("a second run on the same machines is refused by the lock, naming the holder", async () => {
    const file = runbook("slow", "## Slow {#slow}\n\n```sh {on=app}\nsleep 3; echo done\n```\n");
    const first = await runInBackground(["run", file, "-i", inventory, "--yes", "--break-lock"]);
    try {
      await Bun.sleep(1200);
      const second = runCli(["run", file, "-i", inventory, "--yes"], { env });
      expect(second.code).toBe(4);
      expect(second.stdout).toMatch(
        /refused: machine m1 is locked by \S+@\S+ \(run \S+, pid \d+ on \S+, since /,
      );
      expect(second.stdout).not.toContain("==> ");
    } finally {
      expect(await first.exited).toBe(0);
    }
  }, 30_000);

  test("kill -9 of the runner mid-run, then resume: no step runs twice", async () => {
    const file = runbook(
      "crash",
      "## One {#one}\n\n```sh {on=app}\necho x >> ~/one\n```\n\n## Two {#two}\n\n```sh {on=app}\ntouch ~/two-started; sleep 2; echo x >> ~/two\n```\n\n## Three {#three}\n\n```sh {on=app}\necho x >> ~/three\n```\n",
    );
    const proc = await runInBackground(["run", file, "-i", inventory, "--yes", "--break-lock"]);
    const runs = join(dir, "state", "runs");
    // Wait until step two's command runs on every machine (the engine says "running" a moment before
    // the command starts), then kill the runner with no chance to clean up.
    let journal = "";
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const newest = listRuns(join(runs, ".."))
        .filter((d) => d.includes("crash"))
        .at(-1);
      journal = newest ? join(runs, newest, "journal.jsonl") : "";
      if (
        journal &&
        existsSync(journal) &&
        new Set(readFileSync(journal, "utf8").match(/"stepId":"two","host":"m\d","status":"running"/g) ?? [])
          .size === 4 &&
        harness.machines.every((m) => existsSync(join(m.home, "two-started")))
      )
        break;
      await Bun.sleep(50);
    }
    proc.kill(9);
    await proc.exited;
    const runId = journal.split("/").at(-2) ?? "";
    // The journal survives intact up to the kill.
    for (const line of readFileSync(journal, "utf8").split("\n").slice(0, -2)) if (line) JSON.parse(line);
    const refused = runCli(["resume", runId, "--yes"], { env });
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain("m1: unknown for the runner stopped while this was running");
    // The operator checked the machines: step two did complete there (the remote command went on).
    const twoDone = Date.now() + 15_000;
    while (Date.now() < twoDone && !harness.machines.every((m) => existsSync(join(m.home, "two"))))
      await Bun.sleep(100);
    const resumed = runCli(["resume", runId, "--yes", "--unknown", "done"], { env });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain("(resumed)");
    for (const m of harness.machines) {
      expect(readFileSync(join(m.home, "one"), "utf8")).toBe("x\n");
      expect(readFileSync(join(m.home, "two"), "utf8")).toBe("x\n");
      expect(readFileSync(join(m.home, "three"), "utf8")).toBe("x\n");
    }
    const timeline = runCli(["log", runId, "--timeline"], { env });
    expect(timeline.code).toBe(0);
    expect(timeline.stdout).toContain(`# Run ${runId}: crash`);
    expect(timeline.stdout).toContain("| Two | m1 | unknown: the runner stopped while this was running |");
    expect(timeline.stdout).toContain("- result: **ok**");
  }, 40_000);

  test("an unknown host key is refused with exit 4 and no command run; a changed key likewise", () => {
    const marker = "~/ran-despite-unknown-key";
    const file = runbook("hostkey", `## Touch\n\n\`\`\`sh {on=app}\ntouch ${marker}\n\`\`\`\n`);
    const emptyKnownHosts = join(dir, "known_hosts.empty");
    writeFileSync(emptyKnownHosts, "");
    const inv = harness.writeInventory(join(dir, "inventory-unknown.yaml"), {
      machines: { m1: { roles: ["app"] } },
    });
    writeFileSync(inv, readFileSync(inv, "utf8").replaceAll(harness.knownHosts, emptyKnownHosts));
    const r = runCli(["run", file, "-i", inv, "--yes", "--limit", "m1"], { env });
    expect(r.code).toBe(4);
    expect(r.stdout).toContain(harness.machine("m1").fingerprint);
    expect(existsSync(join(harness.machine("m1").home, "ran-despite-unknown-key"))).toBe(false);

    const wrong = join(dir, "known_hosts.wrong");
    const otherKey = harness.machine("m2").hostPublicKey;
    const m1 = harness.machine("m1");
    writeFileSync(wrong, `[${m1.address}]:${m1.port} ${otherKey}\n`);
    writeFileSync(inv, readFileSync(inv, "utf8").replaceAll(emptyKnownHosts, wrong));
    const changed = runCli(["run", file, "-i", inv, "--yes", "--limit", "m1"], { env });
    expect(changed.code).toBe(4);
    expect(changed.stdout.toLowerCase()).toContain("changed");
    expect(existsSync(join(m1.home, "ran-despite-unknown-key"))).toBe(false);
  });

  test("--rollback-on-failure rolls back the failed step, then the completed ones, newest first", () => {
    const file = runbook(
      "rollback",
      "## Make {#make}\n\n```sh {on=app}\ntouch ~/made\n```\n\n```rollback {on=app}\nrm ~/made; echo make-undone >> ~/undo-order\n```\n\n" +
        "## Break {#break}\n\n```sh {on=app}\n[ $(whoami) != rbtest3 ]\n```\n\n```rollback {on=app}\necho break-undone >> ~/undo-order\n```\n",
    );
    const r = runCli(["run", file, "-i", inventory, "--yes", "--rollback-on-failure", "--break-lock"], {
      env,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("m3: FAILED exit 1");
    expect(r.stdout).toContain("m1: rollback ok");
    for (const m of harness.machines) {
      expect(existsSync(join(m.home, "made"))).toBe(false);
      expect(readFileSync(join(m.home, "undo-order"), "utf8")).toBe("break-undone\nmake-undone\n");
    }
  }, 30_000);

  test("Ctrl-C stops the remote commands (no process left on any machine) and exits 3", async () => {
    const file = runbook("interrupt", "## Long {#long}\n\n```sh {on=app}\nsleep 37; echo never\n```\n");
    const proc = await runInBackground(["run", file, "-i", inventory, "--yes", "--break-lock"]);
    const pgrep = (user: string) =>
      Bun.spawnSync(["pgrep", "-u", user, "-f", "sleep 37"]).stdout.toString().trim();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && harness.machines.some((m) => pgrep(m.user) === "")) await Bun.sleep(50);
    expect(harness.machines.every((m) => pgrep(m.user) !== "")).toBe(true);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(3);
    const out = await new Response(proc.stdout).text();
    expect(out).toContain("run finished: aborted");
    expect(out).not.toContain("never");
    for (const m of harness.machines) expect(pgrep(m.user)).toBe("");
  }, 30_000);
});
