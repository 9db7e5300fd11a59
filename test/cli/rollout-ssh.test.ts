import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SshdHarness, startSshdHarness } from "../helpers/sshd-harness.ts";
import { runCli } from "./run-cli.ts";

/**
 * A rollout over eight real OpenSSH machines: serial=2 max-fail=1 with two broken machines runs
 * exactly three batches and stops the step; resume runs the broken machines (repaired) and the batch
 * that never ran, and no machine that finished runs again.
 */
let harness: SshdHarness;
let dir: string;
let shared: string;
let inventory: string;

beforeAll(async () => {
  harness = await startSshdHarness({
    count: 8,
    userPrefix: "rbroll",
    firstAddress: 200,
    lockWaitMs: 120_000,
  });
  dir = mkdtempSync(join(tmpdir(), "runbook-rollout-ssh-"));
  chmodSync(dir, 0o755);
  shared = join(dir, "shared");
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  const machines = Object.fromEntries(harness.machines.map((m) => [m.name, { roles: ["broker"] }]));
  inventory = harness.writeInventory(join(dir, "inv.yaml"), { machines });
}, 240_000);

afterAll(async () => {
  await harness?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runbook(): string {
  const file = join(dir, "restart.md");
  writeFileSync(
    file,
    `---
title: Rolling restart over ssh
roles: [broker]
---

# Restart

## Restart each broker {#restart}

\`\`\`sh {on=broker serial=2 max-fail=1}
echo ran >> ${shared}/ran-{{ host.name }}
test ! -e ${shared}/broken-{{ host.name }}
\`\`\`
`,
  );
  return file;
}

/** How many times each machine ran the step, by machine. */
const runs = (names: string[]) =>
  Object.fromEntries(
    names.map((n) => {
      const f = join(shared, `ran-${n}`);
      return [n, existsSync(f) ? readFileSync(f, "utf8").split("\n").filter(Boolean).length : 0];
    }),
  );
const batchLines = (out: string) => out.split("\n").filter((l) => l.includes("--- batch"));

describe("a rollout over ssh", () => {
  test("serial=2 max-fail=1: the expected batches run, the step stops, resume runs only the rest", () => {
    const names = harness.machines.map((m) => m.name);
    const [b3, b5] = [names[2] as string, names[4] as string];
    for (const broken of [b3, b5]) writeFileSync(join(shared, `broken-${broken}`), "");
    const env = { RUNBOOK_STATE_DIR: join(dir, "state") };
    const file = runbook();
    const first = runCli(["run", file, "-i", inventory, "--yes"], { env, timeoutMs: 180_000 });
    expect(first.code).toBe(1);
    expect(batchLines(first.stdout).map((l) => l.replace(/^.*--- /, ""))).toEqual([
      `batch 1/4 on ${names[0]}, ${names[1]}`,
      `batch 2/4 on ${names[2]}, ${names[3]}`,
      `batch 3/4 on ${names[4]}, ${names[5]}`,
    ]);
    const counts = (ones: string[]) => Object.fromEntries(names.map((n) => [n, ones.includes(n) ? 1 : 0]));
    expect(runs(names)).toEqual(counts(names.slice(0, 6)));

    for (const broken of [b3, b5]) rmSync(join(shared, `broken-${broken}`));
    for (const n of names) rmSync(join(shared, `ran-${n}`), { force: true });
    const resumed = runCli(["resume", "--yes"], { env, timeoutMs: 180_000 });
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    expect(batchLines(resumed.stdout).map((l) => l.replace(/^.*--- /, ""))).toEqual([
      `batch 2/4 on ${b3}`,
      `batch 3/4 on ${b5}`,
      `batch 4/4 on ${names[6]}, ${names[7]}`,
    ]);
    expect(runs(names)).toEqual(counts([b3, b5, names[6] as string, names[7] as string]));
  }, 400_000);
});
