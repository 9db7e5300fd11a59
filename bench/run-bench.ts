#!/usr/bin/env bun
/**
 * Benchmarks: figures printed, never pass or fail (a shared machine makes timed assertions flaky).
 * Every figure is the median of ROUNDS interleaved runs (min-max beside it), set against a peer
 * measured in the same rounds, on the same real OpenSSH servers on loopback:
 *
 * 1. per-step: 100 steps of `true` on 4 machines: `runbook run --yes` against OpenSSH with a new
 *    connection per command, OpenSSH multiplexed (ControlMaster), `ansible-playbook` with the
 *    `command` module (pipelining, ControlPersist, forks 4) and with the `raw` module, and the floor:
 *    a one-connection-per-machine `ssh2` loop (bench/ssh2-loop.ts). Start-up is removed (a 1-step run
 *    is subtracted from the 100-step one, for runbook and Ansible alike).
 * 2. fan-out: one `sleep 1` step on 1, 16, 32 and 64 machines: runbook (`--forks 64`), Ansible
 *    (forks 64, a fresh ControlPath each run, as runbook connects afresh) and OpenSSH all at once.
 * 3. start-up: `--help`, `plan` of the two-masters-two-slaves-async runbook (default inventory),
 *    `check` of every shipped runbook, and the UI's first frame in tmux, for `bun src/cli/main.ts`
 *    and for the compiled binary (scripts/build-binary.ts): time and peak memory.
 * 4. output: a step printing 1 KB, 100 MB and 400 MB through the plain reporter against `ssh` printing
 *    the same 100 MB: time and peak memory (flat memory: 4x the output costs about 1x the memory).
 * 5. size: `check` and `plan` (4 machines) of generated runbooks of 500, 2,000 and 5,000 steps, ms per
 *    step (flat is good), and the pathological shapes (5,000 levels of `>` or of nested lists, 100 KB
 *    of `*` or of `[`) against the check of a plain one-step runbook.
 * 6. deployment: the two-masters-two-slaves-async runbook on five harness machines with a real
 *    RocketMQ, a step's machines at once against the same runbook one machine after another
 *    (bench/deployment.ts).
 *
 * Run as root (the machines are local users): `bun run bench` (about a quarter of an hour), or one or
 * more sections: `bun run bench fan-out size`. RUNBOOK_BENCH_ROUNDS=N changes the rounds (default 3;
 * start-up and size take 2 more). RUNBOOK_BENCH_JSON=FILE also writes the figures as JSON, which
 * `bun bench/chart.ts FILE docs/benchmarks.svg` draws. Installs Debian's ansible-core when missing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SshdHarness, type SshdMachine, startSshdHarness } from "../test/helpers/sshd-harness.ts";
import { deployment } from "./deployment.ts";
import {
  CLI,
  ensureGnuTime,
  figures,
  fmt,
  measure,
  pad,
  REPO,
  ROUNDS,
  ratio,
  record,
  Samples,
  type Stat,
  secs,
  show,
} from "./measure.ts";

const STEPS = 100;
const FLOOD_MB = 100;

// ---------------------------------------------------------------------------------------------
// peers

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

/** ansible-playbook, installed from Debian when missing; undefined when it cannot be had. */
function ensureAnsible(): string | undefined {
  const found = Bun.which("ansible-playbook");
  if (found) return found;
  console.error("bench: ansible-playbook missing: apt-get install -y ansible-core");
  const install = () =>
    spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "ansible-core"], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      timeout: 600_000,
    }).status === 0;
  if (!install()) {
    spawnSync("apt-get", ["update"], { stdio: ["ignore", "ignore", "inherit"], timeout: 300_000 });
    install();
  }
  const after = Bun.which("ansible-playbook");
  if (!after) console.error("bench: ansible-playbook could not be installed: its figures are skipped");
  return after ?? undefined;
}

/** An Ansible INI inventory of these machines in group `app`, keys and host keys of the harness. */
function ansibleInventory(path: string, h: SshdHarness, machines: readonly SshdMachine[]): string {
  const hosts = machines
    .map((m) => `${m.name} ansible_host=${m.address} ansible_port=${m.port} ansible_user=${m.user}`)
    .join("\n");
  writeFileSync(
    path,
    `[app]\n${hosts}\n\n[all:vars]\nansible_ssh_private_key_file=${h.clientKey}\n` +
      `ansible_ssh_common_args='-o UserKnownHostsFile=${h.knownHosts} -o StrictHostKeyChecking=yes -o BatchMode=yes'\n` +
      "ansible_python_interpreter=/usr/bin/python3\n",
  );
  return path;
}

function playbook(path: string, tasks: string[]): string {
  writeFileSync(
    path,
    `- hosts: app\n  gather_facts: false\n  tasks:\n${tasks.map((t, i) => `    - name: t${i + 1}\n      ${t}\n`).join("")}`,
  );
  return path;
}

function ansibleEnv(dir: string, controlDir: string, forks: number): Record<string, string> {
  return {
    ANSIBLE_HOME: join(dir, "ansible-home"),
    ANSIBLE_LOCAL_TEMP: join(dir, "ansible-tmp"),
    ANSIBLE_HOST_KEY_CHECKING: "True",
    ANSIBLE_PIPELINING: "True",
    ANSIBLE_SSH_ARGS: "-o ControlMaster=auto -o ControlPersist=60s",
    ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir,
    ANSIBLE_FORKS: String(forks),
    ANSIBLE_NOCOLOR: "1",
    ANSIBLE_RETRY_FILES_ENABLED: "False",
    ANSIBLE_DEPRECATION_WARNINGS: "False",
    ANSIBLE_SYSTEM_WARNINGS: "False",
  };
}

function runbookFile(dir: string, name: string, body: string): string {
  const file = join(dir, `${name}.md`);
  writeFileSync(file, `---\ntitle: bench ${name}\nroles: [app]\n---\n\n# Bench\n\n${body}`);
  return file;
}

const trueSteps = (n: number) =>
  Array.from(
    { length: n },
    (_, i) => `## Step ${i + 1} {#s${i + 1}}\n\n\`\`\`sh {on=app}\ntrue\n\`\`\`\n`,
  ).join("\n");

async function withHarness<T>(
  count: number,
  prefix: string,
  first: number,
  body: (h: SshdHarness, dir: string) => Promise<T>,
): Promise<T> {
  const harness = await startSshdHarness({
    count,
    userPrefix: prefix,
    firstAddress: first,
    lockWaitMs: 60_000,
  });
  const dir = mkdtempSync(join(tmpdir(), `runbook-bench-${prefix}-`));
  try {
    return await body(harness, dir);
  } finally {
    await harness.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const runbookEnv = (dir: string) => ({ RUNBOOK_STATE_DIR: join(dir, "state"), NO_COLOR: "1" });

// ---------------------------------------------------------------------------------------------
// 1. per step

async function perStep(): Promise<void> {
  const ansible = ensureAnsible();
  await withHarness(4, "rbbench", 80, async (harness, dir) => {
    const inventory = harness.writeInventory(join(dir, "inventory.yaml"), {
      machines: Object.fromEntries(harness.machines.map((m) => [m.name, { roles: ["app"] }])),
    });
    const env = runbookEnv(dir);
    const run = (file: string) => measure([...CLI, "run", file, "-i", inventory, "--yes"], { env });
    const one = runbookFile(dir, "one", trueSteps(1));
    const many = runbookFile(dir, "many", trueSteps(STEPS));

    const spec = join(dir, "ssh2-loop.json");
    writeFileSync(
      spec,
      JSON.stringify({
        key: harness.clientKey,
        steps: STEPS,
        machines: harness.machines.map((m) => ({
          address: m.address,
          port: m.port,
          user: m.user,
          hostKey: m.hostPublicKey,
        })),
      }),
    );
    const floor = async () => {
      const p = Bun.spawn([process.execPath, join(import.meta.dir, "ssh2-loop.ts"), spec], {
        cwd: REPO,
        stdout: "pipe",
        stderr: "inherit",
      });
      const out = await new Response(p.stdout).text();
      if ((await p.exited) !== 0) throw new Error("bench/ssh2-loop.ts failed");
      return (JSON.parse(out) as { msPerStep: number }).msPerStep;
    };

    const perCommand = async (extra: string[]) => {
      const t = performance.now();
      for (let i = 0; i < STEPS; i++)
        await Promise.all(harness.machines.map((m) => measure([...sshArgs(harness, m, extra), "true"])));
      return (performance.now() - t) / STEPS;
    };
    const control = join(dir, "cm-%h-%p");
    const mux = ["-o", `ControlPath=${control}`];

    const inv = ansibleInventory(join(dir, "hosts.ini"), harness, harness.machines);
    const aEnv = ansibleEnv(dir, join(dir, "ansible-cp"), 4);
    const books = {
      command: [
        playbook(join(dir, "command-1.yml"), ['command: "true"']),
        playbook(join(dir, `command-${STEPS}.yml`), Array(STEPS).fill('command: "true"')),
      ],
      raw: [
        playbook(join(dir, "raw-1.yml"), ['raw: "true"']),
        playbook(join(dir, `raw-${STEPS}.yml`), Array(STEPS).fill('raw: "true"')),
      ],
    };
    const play = async (kind: "command" | "raw") => {
      if (!ansible) return undefined;
      const [b1, bN] = books[kind];
      const a = await measure([ansible, "-i", inv, b1 as string], { env: aEnv });
      const b = await measure([ansible, "-i", inv, bN as string], { env: aEnv });
      return (b.ms - a.ms) / (STEPS - 1);
    };

    const s = new Samples();
    for (let round = 0; round < ROUNDS; round++) {
      const a = await run(one);
      const b = await run(many);
      const ours = (b.ms - a.ms) / (STEPS - 1);
      s.add("runbook", ours);
      s.add("start", a.ms);
      s.add("floor", await floor());
      await Promise.all(
        harness.machines.map((m) =>
          measure(
            sshArgs(harness, m, [...mux, "-o", "ControlMaster=yes", "-o", "ControlPersist=120", "-f", "-N"]),
          ),
        ),
      );
      const multiplexed = await perCommand(mux);
      s.add("mux", multiplexed);
      s.add("mux-ratio", multiplexed / ours);
      await Promise.all(harness.machines.map((m) => measure(sshArgs(harness, m, [...mux, "-O", "exit"]))));
      const cmd = await play("command");
      if (cmd !== undefined) s.add("ansible-command", cmd);
      const raw = await play("raw");
      if (raw !== undefined) s.add("ansible-raw", raw);
      s.add("fresh", await perCommand([]));
    }

    console.log("");
    console.log(
      `1. per step: ${STEPS} steps of \`true\` on 4 machines, start-up removed (ms/step, median of ${ROUNDS} interleaved runs, min-max)`,
    );
    const ours = s.stat("runbook", "perStep.runbook");
    console.log(`   ${pad("runbook (ssh2, one connection per machine)")} ${show(ours)} ms/step`);
    const peer = (label: string, name: string) => {
      if (!s.has(name)) {
        console.log(`   ${pad(label)} skipped (not installed)`);
        return;
      }
      const p = s.stat(name, `perStep.${name}`);
      const r = ratio(p, ours);
      record(`perStep.ratio.${name}`, r);
      console.log(
        `   ${pad(label)} ${show(p)} ms/step   runbook is ${fmt(r, 2)}x ${r >= 1 ? "faster" : "slower"}`,
      );
    };
    peer("OpenSSH, new connection per command", "fresh");
    peer("OpenSSH multiplexed (ControlMaster)", "mux");
    const each = s.stat("mux-ratio", "perStep.ratio.mux.eachRound");
    console.log(`   ${pad("")} against OpenSSH multiplexed round by round: ${show(each, 2)}x`);
    peer("ansible-playbook, command module", "ansible-command");
    peer("ansible-playbook, raw module", "ansible-raw");
    const fl = s.stat("floor", "perStep.floor");
    record("perStep.ratio.floor", ratio(fl, ours));
    console.log(
      `   ${pad("ssh2 loop, one connection (the floor)")} ${show(fl)} ms/step   runbook takes ${fmt(ratio(ours, fl), 2)}x the floor`,
    );
    console.log(`   (runbook's own start, a 1-step run: ${secs(s.stat("start", "perStep.start"))})`);
  });
}

// ---------------------------------------------------------------------------------------------
// 2. fan-out

const FLEETS = [1, 16, 32, 64];

async function fanOut(): Promise<void> {
  const ansible = ensureAnsible();
  await withHarness(64, "rbbfan", 150, async (harness, dir) => {
    const env = runbookEnv(dir);
    const file = runbookFile(dir, "sleep", "## Sleep {#sleep}\n\n```sh {on=app}\nsleep 1\n```\n");
    const book = playbook(join(dir, "sleep.yml"), ['command: "sleep 1"']);
    const inventories = new Map(
      FLEETS.map((n) => [
        n,
        {
          runbook: harness.writeInventory(join(dir, `fleet-${n}.yaml`), {
            machines: Object.fromEntries(
              harness.machines.slice(0, n).map((m) => [m.name, { roles: ["app"] }]),
            ),
          }),
          ansible: ansibleInventory(join(dir, `fleet-${n}.ini`), harness, harness.machines.slice(0, n)),
        },
      ]),
    );
    const s = new Samples();
    let runs = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const n of FLEETS) {
        const inv = inventories.get(n);
        if (!inv) continue;
        s.add(
          `runbook-${n}`,
          (await measure([...CLI, "run", file, "-i", inv.runbook, "--yes", "--forks", "64"], { env })).ms,
        );
        if (ansible) {
          // A fresh ControlPath directory: no master left by the previous run (runbook connects afresh).
          const cp = join(dir, `cp-${runs++}`);
          mkdirSync(cp);
          s.add(
            `ansible-${n}`,
            (await measure([ansible, "-i", inv.ansible, book], { env: ansibleEnv(dir, cp, 64) })).ms,
          );
        }
        const t = performance.now();
        await Promise.all(
          harness.machines.slice(0, n).map((m) => measure([...sshArgs(harness, m), "sleep 1"])),
        );
        s.add(`ssh-${n}`, performance.now() - t);
      }
    }
    console.log("");
    console.log(
      `2. fan-out: one \`sleep 1\` step on N machines (median of ${ROUNDS} interleaved runs, min-max)`,
    );
    for (const n of FLEETS) {
      const a = s.has(`ansible-${n}`)
        ? `   ansible-playbook ${secs(s.stat(`ansible-${n}`, `fanOut.ansible.${n}`))}`
        : "";
      console.log(
        `   ${String(n).padStart(2)} machines   runbook ${secs(s.stat(`runbook-${n}`, `fanOut.runbook.${n}`))}${a}   OpenSSH, all at once ${secs(s.stat(`ssh-${n}`, `fanOut.ssh.${n}`))}`,
      );
    }
    const grow = (who: string, n: number) => {
      const r = ratio(s.stat(`${who}-${n}`, `fanOut.${who}.${n}`), s.stat(`${who}-1`, `fanOut.${who}.1`));
      record(`fanOut.growth.${who}.${n}`, r);
      return fmt(r, 2);
    };
    for (const n of [32, 64]) {
      const a = s.has(`ansible-1`) ? `, ${grow("ansible", n)}x with Ansible` : "";
      console.log(
        `   ${n} machines take ${grow("runbook", n)}x the time of one with runbook${a}, ${grow("ssh", n)}x with OpenSSH`,
      );
    }
    if (s.has("ansible-64")) {
      const r = ratio(s.stat("ansible-64", "fanOut.ansible.64"), s.stat("runbook-64", "fanOut.runbook.64"));
      record("fanOut.ratio.ansible.64", r);
      console.log(`   on 64 machines runbook is ${fmt(r, 2)}x faster than Ansible`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// 3. start-up

const ASYNC = "runbooks/rocketmq/two-masters-two-slaves-async.md";

/** Time from spawning `command` in a tmux pane until its first text shows in `capture-pane`. */
async function firstFrame(
  socket: string,
  command: string,
  cwd: string,
  env: Record<string, string>,
): Promise<number> {
  const name = `f${Math.random().toString(36).slice(2, 8)}`;
  const tmux = (args: string[]) => spawnSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
  const vars = Object.entries({ TERM: "xterm-256color", ...env })
    .map(([k, v]) => `${k}='${v}'`)
    .join(" ");
  const started = performance.now();
  const r = tmux([
    "new-session",
    "-d",
    "-s",
    name,
    "-x",
    "100",
    "-y",
    "30",
    "bash",
    "--noprofile",
    "--norc",
    "-c",
    `cd '${cwd}' && exec env -u CI ${vars} ${command}`,
  ]);
  if (r.status !== 0) throw new Error(`tmux: ${r.stderr}`);
  // `exec env ... command`: the pane's process is the program itself.
  const pid = Number(tmux(["display-message", "-p", "-t", name, "#{pane_pid}"]).stdout.trim());
  try {
    for (;;) {
      const text = tmux(["capture-pane", "-p", "-t", name]).stdout ?? "";
      if (text.trim() !== "") return performance.now() - started;
      if (performance.now() - started > 30_000) throw new Error(`no first frame in 30 s: ${command}`);
      await Bun.sleep(2);
    }
  } finally {
    tmux(["kill-session", "-t", name]);
    // The hang-up stops the program, which may take a moment: no overlap with the next figure, and
    // nothing written into the state directory after it is removed.
    for (let i = 0; i < 700 && pid > 1 && existsSync(`/proc/${pid}`); i++) await Bun.sleep(10);
  }
}

async function startUp(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "runbook-bench-start-"));
  const socket = `rbbench-${process.pid}`;
  try {
    const binary = join(dir, "runbook");
    const build = spawnSync(process.execPath, [join(REPO, "scripts", "build-binary.ts"), binary], {
      cwd: REPO,
      encoding: "utf8",
    });
    if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
    const env = runbookEnv(dir);
    // The UI's runbook: one local step, waiting for Enter (it is never given).
    const ui = runbookFile(dir, "ui", "## Hello {#hello}\n\n```sh {on=app}\necho hello\n```\n");
    const local = join(dir, "local.yaml");
    writeFileSync(local, "hosts:\n  here:\n    transport: local\n    roles: [app]\n");
    const variants = { "bun src/cli/main.ts": CLI, "compiled binary": [binary] };
    const commands: [string, string[], number[]][] = [
      ["--help", ["--help"], [0]],
      ["plan (async runbook)", ["plan", ASYNC], [0]],
      ["check (every shipped runbook)", ["check"], [0]],
    ];
    const s = new Samples();
    const rounds = ROUNDS + 2;
    for (let round = 0; round < rounds; round++) {
      s.add("bun-e", (await measure([process.execPath, "-e", "0"])).ms);
      for (const [v, argv] of Object.entries(variants)) {
        for (const [label, args, ok] of commands) {
          const m = await measure([...argv, ...args], { env, ok, rss: true });
          s.add(`${v}|${label}|ms`, m.ms);
          s.add(`${v}|${label}|mb`, m.maxRssMb);
        }
        const cmd = argv.map((a) => `'${a}'`).join(" ");
        s.add(`${v}|ui|ms`, await firstFrame(socket, `${cmd} run '${ui}' -i '${local}'`, dir, env));
      }
    }
    console.log("");
    console.log(`3. start-up (median of ${rounds} interleaved runs, min-max)`);
    for (const v of Object.keys(variants)) {
      console.log(`   ${v}`);
      const key = v === "compiled binary" ? "binary" : "bun";
      for (const [label] of commands) {
        const t = s.stat(`${v}|${label}|ms`, `startUp.${key}.${label.split(" ")[0]}.ms`);
        const mb = s.stat(`${v}|${label}|mb`, `startUp.${key}.${label.split(" ")[0]}.mb`);
        console.log(`     ${pad(label, 36)} ${secs(t, 3).padEnd(24)} ${show(mb, 0)} MB peak`);
      }
      const f = s.stat(`${v}|ui|ms`, `startUp.${key}.ui.ms`);
      console.log(`     ${pad("run: the UI's first frame in tmux", 36)} ${secs(f, 3)}`);
    }
    console.log(`   (peer: bun itself, an empty script: ${secs(s.stat("bun-e", "startUp.bunEmpty.ms"), 3)})`);
  } finally {
    spawnSync("tmux", ["-L", socket, "kill-server"], { stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// 4. output

async function output(): Promise<void> {
  await withHarness(4, "rbbench", 80, async (harness, dir) => {
    const inventory = harness.writeInventory(join(dir, "inventory.yaml"), {
      machines: Object.fromEntries(harness.machines.map((m) => [m.name, { roles: ["app"] }])),
    });
    const env = runbookEnv(dir);
    const flood = (bytes: number) => `head -c ${bytes} /dev/zero | tr '\\0' 'x' | fold -w 99`;
    const files = new Map(
      [1000, FLOOD_MB * 1e6, 4 * FLOOD_MB * 1e6].map((bytes) => [
        bytes,
        runbookFile(
          dir,
          `print-${bytes}`,
          `## Print {#print}\n\n\`\`\`sh {on=@m1}\n${flood(bytes)}\n\`\`\`\n`,
        ),
      ]),
    );
    const labels = new Map([
      [1000, "runbook, 1 KB printed"],
      [FLOOD_MB * 1e6, `runbook, ${FLOOD_MB} MB printed`],
      [4 * FLOOD_MB * 1e6, `runbook, ${4 * FLOOD_MB} MB printed`],
    ]);
    const s = new Samples();
    for (let round = 0; round < ROUNDS; round++) {
      for (const [bytes, file] of files) {
        const m = await measure([...CLI, "run", file, "-i", inventory, "--yes"], { env, rss: true });
        s.add(`${bytes}|ms`, m.ms);
        s.add(`${bytes}|mb`, m.maxRssMb);
      }
      const p = await measure([...sshArgs(harness, harness.machine("m1")), flood(FLOOD_MB * 1e6)], {
        rss: true,
      });
      s.add("ssh|ms", p.ms);
      s.add("ssh|mb", p.maxRssMb);
    }
    console.log("");
    console.log(
      `4. output: one step printing a lot on one machine, 100-byte lines (median of ${ROUNDS} interleaved runs, min-max)`,
    );
    const row = (label: string, key: string, name: string) => {
      const mb = s.stat(`${key}|mb`, `output.${name}.mb`);
      const ms = s.stat(`${key}|ms`, `output.${name}.ms`);
      console.log(`   ${pad(label, 30)} ${show(mb).padStart(20)} MB peak   ${secs(ms)}`);
      return { mb, ms };
    };
    row(labels.get(1000) as string, "1000", "1KB");
    const big = row(labels.get(FLOOD_MB * 1e6) as string, String(FLOOD_MB * 1e6), "100MB");
    const huge = row(labels.get(4 * FLOOD_MB * 1e6) as string, String(4 * FLOOD_MB * 1e6), "400MB");
    const peer = row(`ssh, ${FLOOD_MB} MB printed (peer)`, "ssh", "ssh100MB");
    const mem = ratio(huge.mb, big.mb);
    const time = ratio(big.ms, peer.ms);
    record("output.ratio.memory", mem);
    record("output.ratio.time", time);
    console.log(
      `   4x the output costs ${fmt(mem, 2)}x the memory (flat is 1: the screen keeps a bounded tail, the journal is written as output comes)`,
    );
    console.log(
      `   streaming ${FLOOD_MB} MB takes ${fmt(time, 2)}x ssh's time (runbook prefixes every line and journals it)`,
    );
  });
}

// ---------------------------------------------------------------------------------------------
// 5. runbook size

const SIZES = [500, 2000, 5000];

function sized(dir: string, n: number): string {
  const steps = Array.from(
    { length: n },
    (_, i) =>
      `## Step ${i + 1} {#s${i + 1}}\n\nCheck the service on every machine before moving on.\n\n\`\`\`sh {on=app}\necho step ${i + 1}\n\`\`\`\n`,
  ).join("\n");
  return runbookFile(dir, `steps-${n}`, steps);
}

async function size(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "runbook-bench-size-"));
  try {
    const env = runbookEnv(dir);
    // Four machines for plan (it never connects).
    const inventory = join(dir, "inventory.yaml");
    writeFileSync(
      inventory,
      `hosts:\n${[1, 2, 3, 4].map((i) => `  m${i}:\n    address: 192.0.2.${i}\n    user: ops\n    roles: [app]\n`).join("")}`,
    );
    const files = new Map(SIZES.map((n) => [n, sized(dir, n)]));
    const one = "\n## Step {#s1}\n\n```sh {on=app}\ntrue\n```\n";
    const shapes: [string, string][] = [
      ["a plain 1-step runbook (peer)", runbookFile(dir, "plain", one)],
      ["5,000 levels of `>`", runbookFile(dir, "quotes", `${">".repeat(5000)} deep\n${one}`)],
      ["5,000 nested lists (`- - - ...`)", runbookFile(dir, "lists", `${"- ".repeat(5000)}deep\n${one}`)],
      ["100 KB of `*`", runbookFile(dir, "stars", `${"*".repeat(100_000)}\n${one}`)],
      ["100 KB of `[`", runbookFile(dir, "brackets", `${"[".repeat(100_000)}\n${one}`)],
      ["100 KB of `_` and `` ` ``", runbookFile(dir, "mixed", `${"_`".repeat(50_000)}\n${one}`)],
    ];
    const s = new Samples();
    const rounds = ROUNDS + 2;
    for (let round = 0; round < rounds; round++) {
      for (const [n, file] of files) {
        for (const cmd of ["check", "plan"]) {
          const args = cmd === "plan" ? ["plan", file, "-i", inventory] : ["check", file];
          const m = await measure([...CLI, ...args], { env, rss: true });
          s.add(`${n}|${cmd}|ms`, m.ms);
          s.add(`${n}|${cmd}|mb`, m.maxRssMb);
        }
      }
      for (const [label, file] of shapes) {
        // Exit 2: a shape may be refused (nested too deeply), which is the point.
        const m = await measure([...CLI, "check", file], { env, ok: [0, 2], rss: true });
        s.add(`${label}|ms`, m.ms);
        s.add(`${label}|mb`, m.maxRssMb);
      }
    }
    console.log("");
    console.log(
      `5. runbook size (median of ${rounds} interleaved runs, min-max; ms/step: the median time over the steps)`,
    );
    for (const cmd of ["check", "plan"]) {
      for (const n of SIZES) {
        const t = s.stat(`${n}|${cmd}|ms`, `size.${cmd}.${n}.ms`);
        const mb = s.stat(`${n}|${cmd}|mb`, `size.${cmd}.${n}.mb`);
        const kb = readFileSync(files.get(n) as string).length / 1024;
        console.log(
          `   ${pad(`${cmd}${cmd === "plan" ? " (4 machines)" : ""}, ${n} steps (${fmt(kb, 0)} KB)`, 40)} ${secs(t).padEnd(24)} ${show(mb, 0).padEnd(14)} MB peak   ${fmt(t.med / n, 3)} ms/step`,
        );
      }
      // The cost of one more step, between the sizes: flat is the same figure twice.
      const t = (n: number) => s.stat(`${n}|${cmd}|ms`).med;
      const early = (t(2000) - t(500)) / 1500;
      const late = (t(5000) - t(2000)) / 3000;
      record(`size.${cmd}.marginal.500-2000`, early);
      record(`size.${cmd}.marginal.2000-5000`, late);
      console.log(
        `   ${cmd}: one more step costs ${fmt(early, 3)} ms from 500 to 2,000 steps, ${fmt(late, 3)} ms from 2,000 to 5,000 (flat: the same)`,
      );
    }
    const base = s.stat(`${shapes[0]?.[0]}|ms`, "size.shape.plain.ms");
    for (const [label, file] of shapes) {
      const t = s.stat(`${label}|ms`);
      const mb = s.stat(`${label}|mb`);
      const kb = readFileSync(file).length / 1024;
      const r = label === shapes[0]?.[0] ? "" : `   ${fmt(ratio(t, base), 2)}x the plain one`;
      console.log(
        `   ${pad(`check, ${label} (${fmt(kb, 0)} KB)`, 50)} ${secs(t).padEnd(24)} ${show(mb, 0)} MB peak${r}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

const SECTIONS: Record<string, () => Promise<void>> = {
  "per-step": perStep,
  "fan-out": fanOut,
  "start-up": startUp,
  output,
  size,
  deployment,
};

function header(): void {
  const first = (cmd: string[]) => {
    const r = spawnSync(cmd[0] as string, cmd.slice(1), { encoding: "utf8" });
    return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n")[0] ?? "";
  };
  const mem = /MemTotal:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"))?.[1];
  const ansible = Bun.which("ansible-playbook") ? first(["ansible-playbook", "--version"]) : "not installed";
  console.log(`runbook benchmarks, ${new Date().toISOString()}`);
  console.log(
    `   ${first(["nproc"])} cores, ${fmt(Number(mem ?? 0) / 1024 / 1024, 1)} GB; Bun ${Bun.version}; ${first(["ssh", "-V"])}; ${ansible}`,
  );
}

/** `bun run bench [SECTION...]`: every section, or the ones named. */
async function only(sections: string[]): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error("bench: run as root: the test machines are local users served by their own sshd");
    process.exit(2);
  }
  const unknown = sections.filter((s) => !(s in SECTIONS));
  if (unknown.length > 0) {
    console.error(
      `bench: unknown section ${unknown.join(", ")} (known: ${Object.keys(SECTIONS).join(", ")})`,
    );
    process.exit(2);
  }
  const chosen = sections.length > 0 ? sections : Object.keys(SECTIONS);
  // Ansible's version in the header: install it before printing.
  if (chosen.includes("per-step") || chosen.includes("fan-out")) ensureAnsible();
  ensureGnuTime();
  header();
  for (const name of chosen) await SECTIONS[name]?.();
  const json = process.env.RUNBOOK_BENCH_JSON;
  if (json) {
    const previous = existsSync(json) ? (JSON.parse(readFileSync(json, "utf8")) as Record<string, Stat>) : {};
    writeFileSync(json, `${JSON.stringify({ ...previous, ...figures }, null, 1)}\n`);
  }
}

await only(process.argv.slice(2));
