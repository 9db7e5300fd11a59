/**
 * What the RocketMQ end-to-end tests need around the real program: one shared RocketMQ download, the
 * program run as a user runs it, mqadmin for independent checks, and the JVMs of the test machines
 * found and stopped by PID.
 */
import { afterAll, beforeAll } from "bun:test";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { type SshdHarness, type SshdMachine, startSshdHarness } from "../helpers/sshd-harness.ts";

export const REPO = join(import.meta.dir, "..", "..");
const MAIN = join(REPO, "src", "cli", "main.ts");
export const VERSION = "5.3.3";

/**
 * Where the download is kept: a Maven repository and a RocketMQ installation for the tests' own
 * mqadmin, both readable by the test machines' users. Kept between runs (a second run downloads
 * nothing); RUNBOOK_E2E_CACHE moves it.
 */
export const CACHE = process.env.RUNBOOK_E2E_CACHE ?? "/var/cache/runbook-e2e";
export const MAVEN_REPO = join(CACHE, "m2");
export const TOOLS_HOME = join(CACHE, "rocketmq");

export interface CliRun {
  code: number;
  out: string;
  err: string;
  log: string;
}

/**
 * Runs the real CLI to the end in a child process, its output also written to `logDir/name.log` (the
 * test prints its tail when an assertion fails).
 */
export async function runbook(
  args: string[],
  opts: { env: Record<string, string>; logDir: string; name: string },
): Promise<CliRun> {
  const proc = Bun.spawn(["bun", MAIN, ...args], {
    cwd: REPO,
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  mkdirSync(opts.logDir, { recursive: true });
  const log = join(opts.logDir, `${opts.name}.log`);
  writeFileSync(log, `$ runbook ${args.join(" ")}\n${out}\n--- stderr\n${err}\n--- exit ${code}\n`);
  return { code, out, err, log };
}

/** `runbook` that must exit `expected`: another exit code fails the test with the run's last lines. */
export async function runbookExpecting(
  args: string[],
  opts: { env: Record<string, string>; logDir: string; name: string },
  expected = 0,
): Promise<CliRun> {
  const r = await runbook(args, opts);
  if (r.code !== expected) {
    throw new Error(
      `runbook ${args.slice(0, 2).join(" ")} exited ${r.code}, expected ${expected}\n${tail(r)}`,
    );
  }
  return r;
}

/** The last lines of a run, for the message of a failed expectation. */
export function tail(r: CliRun, lines = 60): string {
  return `${r.log}:\n${readFileSync(r.log, "utf8").split("\n").slice(-lines).join("\n")}`;
}

/**
 * Downloads RocketMQ once, through the shipped install runbook run on this machine: the Maven
 * repository it fills is what every test machine installs from (offline, read-only).
 */
export async function prefetch(logDir: string, stateDir: string): Promise<void> {
  const installed = [
    `lib/rocketmq-broker-${VERSION}.jar`,
    `lib/rocketmq-proxy-${VERSION}.jar`,
    "bin/mqadmin",
    "bin/mqcontroller",
    "runbook/classes/RunbookMqadmin.class",
  ];
  if (installed.every((f) => existsSync(join(TOOLS_HOME, f)))) {
    openUp();
    return;
  }
  mkdirSync(CACHE, { recursive: true });
  const inventory = join(logDir, "prefetch-inventory.yaml");
  mkdirSync(logDir, { recursive: true });
  writeFileSync(
    inventory,
    stringify({
      hosts: { "e2e-prefetch": { transport: "local", address: "127.0.0.1", roles: ["nameserver"] } },
    }),
  );
  const r = await runbook(
    [
      "run",
      "runbooks/rocketmq/install.md",
      "-i",
      inventory,
      "--yes",
      "--var",
      `maven_repo=${MAVEN_REPO}`,
      "--var",
      `rocketmq_home=${TOOLS_HOME}`,
      "--var",
      `base_dir=${join(CACHE, "prefetch")}`,
      "--var",
      `rocketmq_version=${VERSION}`,
    ],
    { env: { RUNBOOK_STATE_DIR: stateDir }, logDir, name: "prefetch" },
  );
  if (r.code !== 0) throw new Error(`downloading RocketMQ failed\n${tail(r)}`);
  openUp();
}

/**
 * The test machines' users read the repository and the installation: the cache is made readable, and
 * each directory above it gets search permission for others added (nothing else about it changes:
 * the cache may well be under /tmp).
 */
function openUp(): void {
  let dir = dirname(CACHE);
  while (dir !== "/" && dir !== ".") {
    try {
      chmodSync(dir, statSync(dir).mode | 0o001);
    } catch {}
    dir = dirname(dir);
  }
  spawnSync("chmod", ["-R", "a+rX", CACHE]);
}

/** mqadmin from the tests' own installation, as root, with its own user.home: its output. */
export async function mqadmin(args: string[], logDir: string): Promise<string> {
  const home = join(logDir, "mqadmin-home");
  mkdirSync(home, { recursive: true });
  const proc = Bun.spawn(["sh", join(TOOLS_HOME, "bin", "mqadmin"), ...args], {
    env: { ...process.env, ROCKETMQ_HOME: TOOLS_HOME, JAVA_OPT_EXT: `-Duser.home=${home} -Xmx128m` },
    stdout: "pipe",
    stderr: "pipe",
    timeout: 60_000,
  });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  return `${out}${err}`;
}

export interface ClusterRow {
  cluster: string;
  broker: string;
  id: number;
  addr: string;
}

/** The rows of `mqadmin clusterList`, sorted. */
export async function clusterList(ns: string, logDir: string): Promise<ClusterRow[]> {
  return (await mqadmin(["clusterList", "-n", ns], logDir))
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length > 4 && /^\d+$/.test(f[2] ?? "") && /:\d+$/.test(f[3] ?? ""))
    .map((f) => ({ cluster: f[0] as string, broker: f[1] as string, id: Number(f[2]), addr: f[3] as string }))
    .sort((a, b) => `${a.broker}${a.id}`.localeCompare(`${b.broker}${b.id}`));
}

/** `key : value` lines of `mqadmin brokerStatus`. */
export async function brokerStatus(
  ns: string,
  addr: string,
  logDir: string,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of (await mqadmin(["brokerStatus", "-n", ns, "-b", addr], logDir)).split("\n")) {
    const m = /^(\w+)\s*:\s*(.*)$/.exec(line.trim());
    if (m?.[1]) out[m[1]] = (m[2] ?? "").trim();
  }
  return out;
}

/** Polls until `f` says yes or `ms` pass. */
export async function eventually(
  f: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return;
    await Bun.sleep(1000);
  }
  throw new Error(`timed out after ${ms / 1000}s waiting for ${what}`);
}

export interface Jvm {
  pid: number;
  user: string;
  main: "NamesrvStartup" | "BrokerStartup" | "other";
  /** The -c configuration path, if any. */
  config?: string;
}

/** The Java processes the test machines' users run, from /proc. */
export function jvmsOf(users: string[]): Jvm[] {
  const uids = new Map<number, string>();
  for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
    const f = line.split(":");
    if (f[0] && users.includes(f[0])) uids.set(Number(f[2]), f[0]);
  }
  return scanJvms((uid) => uids.get(uid));
}

/** The Java processes of this test process's own user started with a -c file under `dir`. */
export function jvmsUnder(dir: string): Jvm[] {
  const me = process.getuid?.() ?? -1;
  return scanJvms((uid) => (uid === me ? String(uid) : undefined)).filter(
    (j) => j.config?.startsWith(`${dir}/`) === true,
  );
}

/** `userOf` names the user of a uid to keep, or undefined to leave its processes out. */
function scanJvms(userOf: (uid: number) => string | undefined): Jvm[] {
  const out: Jvm[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, "utf8"))?.[1]);
      const user = userOf(uid);
      if (!user) continue;
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (!args[0]?.endsWith("java")) continue;
      const at = args.indexOf("-c");
      const main = args.some((a) => a.endsWith("NamesrvStartup"))
        ? "NamesrvStartup"
        : args.some((a) => a.endsWith("BrokerStartup"))
          ? "BrokerStartup"
          : "other";
      out.push({ pid: Number(entry), user, main, config: at >= 0 ? args[at + 1] : undefined });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** Stops every JVM of the test users by PID (SIGKILL: a test that failed leaves nothing behind). */
export async function killJvms(users: string[]): Promise<number> {
  const jvms = jvmsOf(users);
  for (const j of jvms) {
    try {
      process.kill(j.pid, "SIGKILL");
    } catch {}
  }
  await eventually(() => jvmsOf(users).length === 0, 15_000, "the test JVMs to exit");
  return jvms.length;
}

export interface NodeSpec {
  /** Inventory name. */
  name: string;
  /** The harness machine it runs on (several nodes may share one). */
  machine: SshdMachine;
  roles: string[];
  vars?: Record<string, string | number>;
}

/**
 * An inventory of nodes on the harness machines. Each node listens on its machine's loopback address
 * only (bind_address); several nodes on one machine (same user) get their own base_dir.
 */
export function writeInventory(path: string, harness: SshdHarness, nodes: NodeSpec[]): string {
  const hosts: Record<string, unknown> = {};
  for (const n of nodes) {
    hosts[n.name] = {
      address: n.machine.address,
      port: n.machine.port,
      user: n.machine.user,
      identity: n.machine.identity,
      known_hosts: harness.knownHosts,
      roles: n.roles,
      vars: { bind_address: n.machine.address, ...n.vars },
    };
  }
  writeFileSync(
    path,
    `# Written by test/e2e/cluster.ts for one test run.\n${stringify({
      vars: {
        maven_repo: MAVEN_REPO,
        rocketmq_version: VERSION,
        namesrv_port: 9876,
        namesrv_heap: "128m",
        broker_heap: "256m",
        admin_heap: "128m",
      },
      hosts,
    })}`,
  );
  return path;
}

/** One send of the test producer (test/e2e/java/SendLoop.java): when it started and ended, and where it went. */
export interface Send {
  start: number;
  end: number;
  ok: boolean;
  /** The brokerName of a successful send, or why it failed. */
  detail: string;
}

export interface Producer {
  pid: number;
  /** Every send so far, in order. */
  sends(): Send[];
  /** Stops it by PID (SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * A real RocketMQ client producer (the tests' installation's lib/), started in the background: it
 * sends to `topic` one message after another (20 ms apart), refreshes its routes every second and
 * never retries a failed send, and writes a line per send to `dir/producer.out`. Resolves once it has
 * sent a message.
 */
export async function startProducer(ns: string, topic: string, dir: string): Promise<Producer> {
  const classes = join(dir, "producer-classes");
  mkdirSync(classes, { recursive: true });
  const cp = `${join(TOOLS_HOME, "lib")}/*`;
  const javac = spawnSync(
    "javac",
    ["-nowarn", "-cp", cp, "-d", classes, join(import.meta.dir, "java", "SendLoop.java")],
    { encoding: "utf8" },
  );
  if (javac.status !== 0) throw new Error(`javac SendLoop.java failed:\n${javac.stderr}`);
  const out = join(dir, "producer.out");
  const proc = Bun.spawn(
    [
      "java",
      "-Xmx128m",
      `-Duser.home=${join(dir, "producer-home")}`,
      "-Drmq.logback.configurationFile=rmq.tools.logback.xml",
      "-Dlogback.statusListenerClass=org.apache.rocketmq.logging.ch.qos.logback.core.status.NopStatusListener",
      "-cp",
      `${classes}:${cp}`,
      "SendLoop",
      ns,
      topic,
      "20",
    ],
    { stdout: Bun.file(out), stderr: Bun.file(join(dir, "producer.err")) },
  );
  const sends = (): Send[] =>
    (existsSync(out) ? readFileSync(out, "utf8") : "")
      .split("\n")
      .map((l) => /^(\d+) (\d+) (OK|FAIL) (.*)$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => ({ start: Number(m[1]), end: Number(m[2]), ok: m[3] === "OK", detail: m[4] as string }));
  const producer: Producer = {
    pid: proc.pid,
    sends,
    stop: async () => {
      try {
        process.kill(proc.pid, "SIGKILL");
      } catch {}
      await proc.exited;
    },
  };
  try {
    await eventually(() => sends().some((s) => s.ok), 60_000, "the producer's first message");
  } catch (e) {
    await producer.stop();
    throw e;
  }
  return producer;
}

/** The longest time between two successful sends (ms) in [from, to], and how many sends failed then. */
export function longestOutage(sends: Send[], from: number, to: number): { ms: number; failed: number } {
  const during = sends.filter((s) => s.end >= from && s.start <= to);
  let ms = 0;
  let last = from;
  for (const s of during.filter((x) => x.ok)) {
    ms = Math.max(ms, s.end - last);
    last = s.end;
  }
  return { ms: Math.max(ms, to - last), failed: during.filter((s) => !s.ok).length };
}

/** When a process started, in clock ticks since boot (field 22 of /proc/PID/stat): orders processes. */
export function startedAt(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
}

/** What an e2e file's machines give its tests, once beforeAll has run. */
export interface E2eMachines {
  harness: SshdHarness;
  /** The file's own temporary directory, and its logs under it. */
  dir: string;
  logDir: string;
  /** RUNBOOK_STATE_DIR for the runs of this file. */
  env: Record<string, string>;
  /** Call when a test fails: the logs are kept and their place printed. */
  failed(): void;
}

/**
 * Registers the hooks every RocketMQ e2e file needs: the shared download, its own sshd machines, and
 * afterwards every JVM of their users stopped by PID, the harness stopped, and the directory removed
 * unless a test failed (or RUNBOOK_E2E_KEEP is set).
 */
export function e2eMachines(
  label: string,
  opts: { names: string[]; userPrefix: string; firstAddress: number },
): E2eMachines {
  let keep = false;
  const m = {
    failed: () => {
      keep = true;
    },
  } as E2eMachines;
  beforeAll(async () => {
    m.dir = mkdtempSync(join(tmpdir(), `runbook-e2e-${label}-`));
    m.logDir = join(m.dir, "logs");
    m.env = { RUNBOOK_STATE_DIR: join(m.dir, "state") };
    await prefetch(m.logDir, m.env.RUNBOOK_STATE_DIR as string);
    m.harness = await startSshdHarness({ ...opts, lockWaitMs: 5 * 60_000 });
  }, 15 * 60_000);
  afterAll(async () => {
    if (m.harness) await killJvms(m.harness.machines.map((x) => x.user));
    await m.harness?.stop();
    if (m.dir && !keep && !process.env.RUNBOOK_E2E_KEEP) rmSync(m.dir, { recursive: true, force: true });
    else if (m.dir) console.error(`${label} end-to-end logs kept in ${m.logDir}`);
  }, 60_000);
  return m;
}
