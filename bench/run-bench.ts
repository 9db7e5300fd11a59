#!/usr/bin/env bun
/**
 * Benchmarks: figures printed, never pass or fail (a shared machine makes timed assertions flaky).
 * Every figure is set against a peer measured in the same run, on the same real OpenSSH servers:
 *
 * 1. Per-step cost of 100 steps on 4 machines: `runbook run --yes` (one persistent ssh2 connection per
 *    machine) against OpenSSH with a new connection per command, and OpenSSH multiplexed
 *    (ControlMaster), both driven the same way (the 4 machines in parallel, steps one after another).
 * 2. A step that prints 100 MB, and one that prints 400 MB: the runner's peak memory (flat memory
 *    means 4x the output costs about 1x the memory), against a step printing 1 KB and against `ssh`
 *    streaming the same 100 MB, and the time it takes against `ssh`.
 *
 * 3. Fan-out: one `sleep 1` step on 1, 16, 32 and 64 machines, `runbook run --yes --forks 64`
 *    against OpenSSH (a new connection to every machine, all at once); medians of interleaved runs.
 *
 * Run as root (the machines are local users): `bun run bench`. Takes a few minutes.
 * `bun run bench fan-out` runs only the fan-out.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SshdHarness, type SshdMachine, startSshdHarness } from "../test/helpers/sshd-harness.ts";

const REPO = join(import.meta.dir, "..");
const CLI = [process.execPath, join(REPO, "src", "cli", "main.ts")];
const STEPS = 100;
const FLOOD_MB = 100;

interface Measured {
  ms: number;
  /** Peak resident memory of the process, MB. */
  maxRssMb: number;
}

async function measure(cmd: string[], env: Record<string, string> = {}): Promise<Measured> {
  const started = performance.now();
  const proc = Bun.spawn(cmd, {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdout: "ignore",
    stderr: "pipe",
  });
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}:\n${stderr}`);
  // Bun reports maxRSS in bytes.
  const maxRssMb = (proc.resourceUsage()?.maxRSS ?? 0) / 1024 / 1024;
  return { ms, maxRssMb };
}

function sshArgs(h: SshdHarness, m: SshdMachine, extra: string[] = []): string[] {
  return [
    "ssh",
    "-F",
    "/dev/null",
    "-i",
    h.clientKey,
    "-o",
    `UserKnownHostsFile=${h.knownHosts}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
    "-p",
    String(m.port),
    ...extra,
    `${m.user}@${m.address}`,
  ];
}

function runbookFile(dir: string, name: string, body: string): string {
  const file = join(dir, `${name}.md`);
  writeFileSync(file, `---\ntitle: bench ${name}\nroles: [app]\n---\n\n# Bench\n\n${body}`);
  return file;
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error("bench: run as root: the test machines are local users served by their own sshd");
    process.exit(2);
  }
  const harness = await startSshdHarness({ count: 4, userPrefix: "rbbench", firstAddress: 80 });
  const dir = mkdtempSync(join(tmpdir(), "runbook-bench-"));
  try {
    const inventory = harness.writeInventory(join(dir, "inventory.yaml"), {
      machines: Object.fromEntries(harness.machines.map((m) => [m.name, { roles: ["app"] }])),
    });
    const env = { RUNBOOK_STATE_DIR: join(dir, "state"), NO_COLOR: "1" };
    const run = (file: string) => measure([...CLI, "run", file, "-i", inventory, "--yes"], env);
    const steps = (n: number) =>
      Array.from(
        { length: n },
        (_, i) => `## Step ${i + 1} {#s${i + 1}}\n\n\`\`\`sh {on=app}\ntrue\n\`\`\`\n`,
      ).join("\n");

    console.log(
      `runbook benchmarks, ${new Date().toISOString()}, ${harness.machines.length} machines on loopback`,
    );
    console.log("");
    console.log(`1. ${STEPS} steps of \`true\` on 4 machines (per step, startup removed)`);
    const one = await run(runbookFile(dir, "one", steps(1)));
    const many = await run(runbookFile(dir, "many", steps(STEPS)));
    const ours = (many.ms - one.ms) / (STEPS - 1);

    const perCommand = async (extra: string[]) => {
      const t = performance.now();
      for (let i = 0; i < STEPS; i++)
        await Promise.all(harness.machines.map((m) => measure([...sshArgs(harness, m, extra), "true"])));
      return (performance.now() - t) / STEPS;
    };
    const fresh = await perCommand([]);
    const control = join(dir, "cm-%h-%p");
    const mux = ["-o", `ControlPath=${control}`];
    await Promise.all(
      harness.machines.map((m) =>
        measure(
          sshArgs(harness, m, [...mux, "-o", "ControlMaster=yes", "-o", "ControlPersist=120", "-f", "-N"]),
        ),
      ),
    );
    const multiplexed = await perCommand(mux);
    await Promise.all(harness.machines.map((m) => measure(sshArgs(harness, m, [...mux, "-O", "exit"]))));

    console.log(`   runbook (ssh2, one connection per machine)   ${fmt(ours)} ms/step`);
    console.log(
      `   OpenSSH, new connection per command          ${fmt(fresh)} ms/step   runbook is ${fmt(fresh / ours)}x faster`,
    );
    console.log(
      `   OpenSSH multiplexed (ControlMaster)          ${fmt(multiplexed)} ms/step   runbook is ${fmt(multiplexed / ours)}x faster`,
    );
    console.log(`   (runbook's own start, one step: ${fmt(one.ms, 0)} ms)`);

    console.log("");
    console.log(`2. one step printing a lot on one machine (100-byte lines)`);
    const flood = (bytes: number) => `head -c ${bytes} /dev/zero | tr '\\0' 'x' | fold -w 99`;
    const printing = async (bytes: number) =>
      run(
        runbookFile(
          dir,
          `print-${bytes}`,
          `## Print {#print}\n\n\`\`\`sh {on=@m1}\n${flood(bytes)}\n\`\`\`\n`,
        ),
      );
    const tiny = await printing(1000);
    const big = await printing(FLOOD_MB * 1e6);
    const huge = await printing(4 * FLOOD_MB * 1e6);
    const peer = await measure([...sshArgs(harness, harness.machine("m1")), flood(FLOOD_MB * 1e6)]);
    const row = (label: string, m: Measured) =>
      console.log(
        `   ${label.padEnd(44)} ${fmt(m.maxRssMb).padStart(6)} MB peak  ${fmt(m.ms / 1000, 2).padStart(6)} s`,
      );
    row("runbook, 1 KB printed", tiny);
    row(`runbook, ${FLOOD_MB} MB printed`, big);
    row(`runbook, ${4 * FLOOD_MB} MB printed`, huge);
    row(`ssh, ${FLOOD_MB} MB printed (peer)`, peer);
    console.log(
      `   4x the output costs ${fmt(huge.maxRssMb / big.maxRssMb, 2)}x the memory (flat is 1: the screen keeps a bounded tail, the journal is written as output comes)`,
    );
    console.log(
      `   streaming ${FLOOD_MB} MB takes ${fmt(big.ms / peer.ms, 1)}x ssh's time (runbook prefixes every line and journals it)`,
    );
  } finally {
    await harness.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  await fanOut();
}

/** `bun run bench fan-out` runs only the fan-out figures. */
async function only(section: string | undefined): Promise<void> {
  if (section === undefined) return main();
  if (section === "fan-out") return fanOut();
  console.error(`bench: unknown section ${section} (known: fan-out)`);
  process.exit(2);
}

const FLEETS = [1, 16, 32, 64];
const ROUNDS = 3;

/** Median, min and max of some timings, in seconds. */
function spread(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const med = s[Math.floor(s.length / 2)] ?? 0;
  return `${fmt(med / 1000, 2)} s (${fmt((s[0] ?? 0) / 1000, 2)}-${fmt((s.at(-1) ?? 0) / 1000, 2)})`;
}

const median = (ms: number[]) => [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)] ?? 0;

async function fanOut(): Promise<void> {
  const harness = await startSshdHarness({
    count: 64,
    userPrefix: "rbbfan",
    firstAddress: 150,
    lockWaitMs: 60_000,
  });
  const dir = mkdtempSync(join(tmpdir(), "runbook-bench-fan-"));
  try {
    const env = { RUNBOOK_STATE_DIR: join(dir, "state"), NO_COLOR: "1" };
    const file = runbookFile(dir, "sleep", "## Sleep {#sleep}\n\n```sh {on=app}\nsleep 1\n```\n");
    const inventories = new Map(
      FLEETS.map((n) => [
        n,
        harness.writeInventory(join(dir, `fleet-${n}.yaml`), {
          machines: Object.fromEntries(harness.machines.slice(0, n).map((m) => [m.name, { roles: ["app"] }])),
        }),
      ]),
    );
    const ours = new Map<number, number[]>(FLEETS.map((n) => [n, []]));
    const peer = new Map<number, number[]>(FLEETS.map((n) => [n, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const n of FLEETS) {
        const inv = inventories.get(n) as string;
        ours
          .get(n)
          ?.push((await measure([...CLI, "run", file, "-i", inv, "--yes", "--forks", "64"], env)).ms);
        const t = performance.now();
        await Promise.all(
          harness.machines.slice(0, n).map((m) => measure([...sshArgs(harness, m), "sleep 1"])),
        );
        peer.get(n)?.push(performance.now() - t);
      }
    }
    console.log("");
    console.log(
      `3. fan-out: one \`sleep 1\` step on N machines (median of ${ROUNDS} interleaved runs, min-max)`,
    );
    for (const n of FLEETS) {
      console.log(
        `   ${String(n).padStart(2)} machines   runbook ${spread(ours.get(n) ?? [])}   OpenSSH, all at once ${spread(peer.get(n) ?? [])}`,
      );
    }
    const ratio = (m: Map<number, number[]>) => median(m.get(64) ?? []) / median(m.get(1) ?? []);
    console.log(
      `   64 machines take ${fmt(ratio(ours), 2)}x the time of one with runbook, ${fmt(ratio(peer), 2)}x with OpenSSH`,
    );
  } finally {
    await harness.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await only(process.argv[2]);
