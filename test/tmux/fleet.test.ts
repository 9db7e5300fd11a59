import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../cli/run-cli.ts";
import { type SshdHarness, startSshdHarness } from "../helpers/sshd-harness.ts";
import { shellWord, Tmux } from "./tmux.ts";

/**
 * A fleet: 64 real OpenSSH machines (64 users on loopback). --forks bounds how many are acted on at
 * once; every machine runs its step once; the screen counts the machines by status.
 */

const REPO = join(import.meta.dir, "..", "..");
const MAIN = join(REPO, "src", "cli", "main.ts");
const MACHINES = 64;
const FORKS = 16;
const tmux = new Tmux(`runbook-fleet-${process.pid}`);
let harness: SshdHarness;
let dir: string;
let shared: string;
let inventory: string;

beforeAll(async () => {
  harness = await startSshdHarness({
    count: MACHINES,
    userPrefix: "rbfleet",
    firstAddress: 130,
    lockWaitMs: 120_000,
  });
  dir = mkdtempSync(join(tmpdir(), "runbook-fleet-"));
  chmodSync(dir, 0o755);
  // Where every machine's user says it is running: one directory all 64 users can write.
  shared = join(dir, "shared");
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  const machines = Object.fromEntries(harness.machines.map((m) => [m.name, { roles: ["web"] }]));
  inventory = harness.writeInventory(join(dir, "fleet.yaml"), { machines });
}, 240_000);

afterAll(async () => {
  tmux.kill();
  await harness?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Each machine marks itself running, notes how many are running with it, and marks that it ran. */
function fleetRunbook(name: string, failOn: string[] = []): string {
  const file = join(dir, `${name}.md`);
  const run = join(shared, name);
  // Made here, writable by every machine's user, before any runs: made by the first machine, they were
  // not yet writable for the others for a moment (a .seen file went missing now and then).
  for (const d of [run, join(run, "running"), join(run, "ran")]) {
    mkdirSync(d, { recursive: true });
    chmodSync(d, 0o1777);
  }
  writeFileSync(
    file,
    `---
title: Fleet ${name}
roles: [web]
---

# Roll out

## Restart every machine {#restart}

\`\`\`sh {on=web}
touch ${run}/running/{{ host.name }}
ls ${run}/running | wc -l > ${run}/ran/{{ host.name }}.seen
sleep 0.4
rm -f ${run}/running/{{ host.name }}
echo ran >> ${run}/ran/{{ host.name }}.count
case " ${failOn.join(" ")} " in *" {{ host.name }} "*) echo "disk full" >&2; exit 4;; esac
\`\`\`
`,
  );
  return file;
}

describe("a fleet of 64 machines", () => {
  test(`--forks ${FORKS}: every machine runs once, never more than ${FORKS} at a time`, () => {
    const file = fleetRunbook("headless");
    const r = runCli(["run", file, "-i", inventory, "--yes", "--forks", String(FORKS)], {
      env: { RUNBOOK_STATE_DIR: join(dir, "state") },
      timeoutMs: 180_000,
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const ran = join(shared, "headless", "ran");
    const counts = harness.machines.map((m) => readFileSync(join(ran, `${m.name}.count`), "utf8"));
    expect(counts).toEqual(harness.machines.map(() => "ran\n"));
    const seen = readdirSync(ran)
      .filter((f) => f.endsWith(".seen"))
      .map((f) => Number(readFileSync(join(ran, f), "utf8").trim()));
    expect(seen).toHaveLength(MACHINES);
    expect(Math.max(...seen)).toBeLessThanOrEqual(FORKS);
    // Bounded, not serial: machines did run side by side.
    expect(Math.max(...seen)).toBeGreaterThan(1);
    // The plain reporter stays one line per event, machine by machine.
    expect(r.stdout.split("\n").filter((l) => / {4}m\d+: ok \(/.test(l))).toHaveLength(MACHINES);
  }, 200_000);

  test("in the terminal, the machines are counted by status, the failed ones first, and f visits them", async () => {
    const file = fleetRunbook("screen", ["m7", "m50"]);
    tmux.start(
      "fleet",
      `bun ${shellWord(MAIN)} run ${shellWord(file)} -i ${shellWord(inventory)} --forks ${FORKS}`,
      {
        cwd: REPO,
        env: { RUNBOOK_STATE_DIR: join(dir, "state"), NO_COLOR: "1" },
      },
    );
    await tmux.waitFor("fleet", "next: step 1/1", 120_000);
    tmux.keys("fleet", "Enter");
    const failed = await tmux.waitFor("fleet", "64 machines: ✗ 2 failed · ✓ 62 ok", 180_000);
    // The first failed machine is selected and its stderr shown; the footer offers f.
    expect(failed.text).toMatch(/▸✗ m7 +failed/);
    expect(failed.text).toContain("! disk full");
    expect(failed.text).toContain("f next failed");
    tmux.keys("fleet", "f");
    await tmux.waitFor("fleet", /▸✗ m50 +failed/);
    tmux.keys("fleet", "x");
    await tmux.waitFor("fleet", "run failed at step 1/1", 60_000);
    tmux.keys("fleet", "q");
    expect(await tmux.exitCode("fleet", 60_000)).toBe(1);
  }, 400_000);
});
