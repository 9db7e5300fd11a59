/**
 * Real OpenSSH servers on loopback addresses, one per test machine.
 *
 * Machine i listens on 127.0.0.(i+2) only, runs its own sshd (own config, ed25519 host key generated
 * for this run, PidFile, log), and is logged into as its own normal user `rbtest<i+1>` with its own
 * home. Authentication is by public key only, with a client key generated for this run.
 *
 * Usage (the stop in afterAll runs even when tests fail; stop() is idempotent):
 *
 *   let harness: SshdHarness;
 *   beforeAll(async () => { harness = await startSshdHarness({ count: 4 }); });
 *   afterAll(() => harness?.stop());
 *
 * `harness?.stop()`: if beforeAll failed, there is nothing to stop (a failed start cleans up itself).
 * A test that times out does not take the machines down: the sshds are daemons, not children, so
 * bun's "killed N dangling processes" on a timeout does not reach them. On process exit, SIGINT and
 * SIGTERM the harness stops itself too.
 *
 * Needs root (to create the users and start sshd). Only one harness runs at a time on a machine per
 * user prefix (the test users are shared; see RUNBOOK_HARNESS_PREFIX): a lock file (/tmp/runbook-sshd-harness.lock) serialises them across
 * processes, waiting up to `lockWaitMs`, and a harness left by a crashed run is cleaned up by the next.
 *
 * Each machine: `ListenAddress 127.0.0.N:PORT` (a free port), `UsePAM no`, public keys only,
 * `AllowUsers rbtestN`, `AuthorizedKeysFile` in the harness dir (so a test cannot break its own login
 * by changing the home), `Subsystem sftp internal-sftp`, log in `<dir>/mN/sshd.log`.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import type { Host } from "../../src/model/inventory.ts";
import type { Scalar } from "../../src/model/runbook.ts";

export interface SshdMachine {
  /** Machine name for the inventory (m1, m2, ... unless names were given). */
  name: string;
  /** 127.0.0.2, 127.0.0.3, ... */
  address: string;
  port: number;
  /** rbtest1, rbtest2, ... */
  user: string;
  home: string;
  uid: number;
  /** Client private key (the same for every machine). */
  identity: string;
  /** The harness known_hosts file (the same for every machine). */
  knownHosts: string;
  /** This sshd's host key files. */
  hostKey: string;
  hostKeyPub: string;
  /** The host public key line, `ssh-ed25519 AAAA...`. */
  hostPublicKey: string;
  /** `SHA256:...` as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  /** The line this machine has in the harness known_hosts. */
  knownHostsLine: string;
  /** sshd's PID (the daemon's, from its PidFile). */
  pid: number;
  pidFile: string;
  logFile: string;
  /** This run's authorized_keys file for the user (sshd's AuthorizedKeysFile). */
  authorizedKeys: string;
}

export interface MachineSpec {
  roles?: string[];
  vars?: Record<string, Scalar>;
  /** The user its commands run as, through sudo (the inventory's `become:`). */
  become?: string;
  /** The machine's jump: (bastions), as the inventory writes it. */
  jump?: string | string[];
}

export interface InventorySpec {
  /** Inventory-wide vars. */
  vars?: Record<string, Scalar>;
  /** Per machine name (or by default every machine gets no roles and no vars). */
  machines?: Record<string, MachineSpec>;
  groups?: Record<string, string[]>;
}

export interface SshdHarness {
  /** The run's temporary directory (configs, keys, known_hosts, logs). */
  readonly dir: string;
  readonly machines: readonly SshdMachine[];
  /** known_hosts with one `[127.0.0.N]:PORT ssh-ed25519 ...` line per machine. */
  readonly knownHosts: string;
  /** Client private key (ed25519, no passphrase) authorized on every machine. */
  readonly clientKey: string;
  readonly clientPublicKey: string;
  /** Machine by name; throws for an unknown name. */
  machine(name: string): SshdMachine;
  /** `Host` records (transport ssh) ready for an Inventory. */
  hosts(spec?: InventorySpec): Host[];
  /** Writes an inventory YAML (the shape of runbooks/inventories/example.yaml) and returns its path. */
  writeInventory(path: string, spec?: InventorySpec): string;
  /** Adds a public key line (`ssh-ed25519 AAAA... comment`) to every machine's authorized_keys. */
  authorize(publicKeyLine: string): void;
  /** Kills every sshd and every process of the test users, removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** Number of machines (default 4, at most 250). */
  count?: number;
  /** Machine names (their number sets the count). Default m1..mN. */
  names?: string[];
  /** Empty each test user's home (then copy /etc/skel) before starting. Default true. */
  resetHomes?: boolean;
  /** Path of sshd (default /usr/sbin/sshd). */
  sshd?: string;
  /**
   * How long to wait for a harness held by another live process (default 4000 ms, under bun's 5 s
   * hook timeout; pass more together with a longer timeout: `beforeAll(fn, 60_000)`).
   */
  lockWaitMs?: number;
  /**
   * Users are PREFIX1..N (default rbtest). Harnesses with different prefixes and address ranges are
   * independent and may run at the same time (the RocketMQ tests use their own).
   */
  userPrefix?: string;
  /** The last byte of the first machine's address, 127.0.0.FIRST (default 2). */
  firstAddress?: number;
  /**
   * More sshd_config lines for some machines, by name (a bastion: `AllowTcpForwarding yes`,
   * `LogLevel DEBUG1`). They come first in the file, and sshd takes the first value of a keyword, so
   * they win over the harness's own.
   */
  sshdConfig?: Record<string, string[]>;
}

const SSHD = "/usr/sbin/sshd";

export async function startSshdHarness(opts: HarnessOptions = {}): Promise<SshdHarness> {
  const started = performance.now();
  if (process.getuid?.() !== 0) {
    throw new Error(
      "the sshd test harness must run as root: it creates the users rbtest1..N and starts sshd " +
        "(run the tests as root, e.g. in the CI container, or with sudo)",
    );
  }
  const sshd = opts.sshd ?? SSHD;
  if (!existsSync(sshd)) {
    throw new Error(`${sshd} not found: install openssh-server (apt-get install openssh-server)`);
  }
  const names = opts.names ?? Array.from({ length: opts.count ?? 4 }, (_, i) => `m${i + 1}`);
  // RUNBOOK_HARNESS_PREFIX / RUNBOOK_HARNESS_FIRST move every default harness of a test run to other
  // users and addresses, so two checkouts can run their SSH tests on one machine at the same time.
  const prefix = opts.userPrefix ?? process.env.RUNBOOK_HARNESS_PREFIX ?? "rbtest";
  const first = opts.firstAddress ?? Number(process.env.RUNBOOK_HARNESS_FIRST ?? 2);
  if (names.length < 1 || first < 2 || first + names.length > 254)
    throw new Error("the harness starts machines on 127.0.0.2 to 127.0.0.253");

  const dir = mkdtempSync(join(tmpdir(), "rbsshd-"));
  // sshd reads AuthorizedKeysFile as the login user: the directories on the way must be traversable.
  chmodSync(dir, 0o755);
  const lock = join(tmpdir(), `runbook-sshd-harness-${prefix}.lock`);
  await takeLock(lock, dir, opts.lockWaitMs ?? 4000);
  const state: State = { dir, lock, pids: [], users: [], stopped: false };
  const exitHook = () => stopSync(state);
  process.on("exit", exitHook);
  // Ctrl-C / kill of the test run: the daemons are not in our process group, so stop them here, then
  // die of the same signal.
  const onSignal = (sig: NodeJS.Signals) => {
    stopSync(state);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.kill(process.pid, sig);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const unhook = () => {
    process.off("exit", exitHook);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
  try {
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    const users = names.map((_, i) => ensureUser(`${prefix}${i + 1}`));
    state.users = users.map((u) => u.name);
    for (const u of users) killUser(u.name);
    if (opts.resetHomes ?? true) for (const u of users) resetHome(u);

    const clientKey = join(dir, "client_ed25519");
    const keyJobs = [keygen(clientKey, "runbook-test-client")];
    for (let i = 0; i < names.length; i++) {
      mkdirSync(join(dir, `m${i + 1}`), { mode: 0o755 });
      keyJobs.push(keygen(join(dir, `m${i + 1}`, "ssh_host_ed25519_key"), `host-${i + 1}`));
    }
    await Promise.all(keyJobs);
    const clientPublicKey = readFileSync(`${clientKey}.pub`, "utf8").trim();
    const knownHosts = join(dir, "known_hosts");

    const machines = await Promise.all(
      names.map(async (name, i) => {
        const user = users[i] as UserInfo;
        const mdir = join(dir, `m${i + 1}`);
        const address = `127.0.0.${first + i}`;
        const hostKey = join(mdir, "ssh_host_ed25519_key");
        const hostPublicKey = readFileSync(`${hostKey}.pub`, "utf8")
          .trim()
          .split(/\s+/)
          .slice(0, 2)
          .join(" ");
        const authorizedKeys = join(mdir, "authorized_keys");
        writeFileSync(authorizedKeys, `${clientPublicKey}\n`, { mode: 0o644 });
        const extra = opts.sshdConfig?.[name] ?? [];
        const { port, pid } = await startSshd(sshd, mdir, address, user.name, state, extra);
        const port22 = port === 22 ? address : `[${address}]:${port}`;
        return {
          name,
          address,
          port,
          user: user.name,
          home: user.home,
          uid: user.uid,
          identity: clientKey,
          knownHosts,
          hostKey,
          hostKeyPub: `${hostKey}.pub`,
          hostPublicKey,
          fingerprint: fingerprintOf(hostPublicKey),
          knownHostsLine: `${port22} ${hostPublicKey}`,
          pid,
          pidFile: join(mdir, "sshd.pid"),
          logFile: join(mdir, "sshd.log"),
          authorizedKeys,
        } satisfies SshdMachine;
      }),
    );
    writeFileSync(knownHosts, machines.map((m) => `${m.knownHostsLine}\n`).join(""), { mode: 0o644 });
    if (process.env.RUNBOOK_HARNESS_DEBUG) {
      console.error(
        `sshd harness: ${machines.length} machines in ${Math.round(performance.now() - started)} ms`,
      );
    }
    return makeHarness(state, machines, knownHosts, clientKey, clientPublicKey, unhook);
  } catch (e) {
    stopSync(state);
    unhook();
    throw e;
  }
}

interface State {
  dir: string;
  /** The lock file that makes this harness the only one using its users. */
  lock: string;
  pids: number[];
  users: string[];
  stopped: boolean;
}

function makeHarness(
  state: State,
  machines: SshdMachine[],
  knownHosts: string,
  clientKey: string,
  clientPublicKey: string,
  unhook: () => void,
): SshdHarness {
  const byName = (name: string) => {
    const m = machines.find((x) => x.name === name);
    if (!m) throw new Error(`no harness machine ${name} (have ${machines.map((x) => x.name).join(", ")})`);
    return m;
  };
  const hosts = (spec: InventorySpec = {}): Host[] =>
    machines.map((m, i) => ({
      name: m.name,
      transport: "ssh",
      address: m.address,
      port: m.port,
      user: m.user,
      identity: m.identity,
      agent: false,
      knownHosts: m.knownHosts,
      roles: spec.machines?.[m.name]?.roles ?? [],
      vars: spec.machines?.[m.name]?.vars ?? {},
      pos: { file: "<sshd-harness>", line: i + 1, col: 1 },
    }));
  return {
    dir: state.dir,
    machines,
    knownHosts,
    clientKey,
    clientPublicKey,
    machine: byName,
    hosts,
    writeInventory(path, spec = {}) {
      for (const name of Object.keys(spec.machines ?? {})) byName(name);
      const doc: Record<string, unknown> = {};
      if (spec.vars && Object.keys(spec.vars).length > 0) doc.vars = spec.vars;
      doc.hosts = Object.fromEntries(
        machines.map((m) => {
          const s = spec.machines?.[m.name] ?? {};
          const entry: Record<string, unknown> = {
            address: m.address,
            port: m.port,
            user: m.user,
            identity: m.identity,
            known_hosts: m.knownHosts,
            roles: s.roles ?? [],
          };
          if (s.vars && Object.keys(s.vars).length > 0) entry.vars = s.vars;
          if (s.become) entry.become = s.become;
          if (s.jump !== undefined) entry.jump = s.jump;
          return [m.name, entry];
        }),
      );
      if (spec.groups && Object.keys(spec.groups).length > 0) doc.groups = spec.groups;
      const full = resolve(path);
      writeFileSync(
        full,
        `# Written by test/helpers/sshd-harness.ts: sshd machines on loopback, valid for this test run.\n${stringify(doc)}`,
      );
      return full;
    },
    authorize(line) {
      for (const m of machines) writeFileSync(m.authorizedKeys, `${line.trim()}\n`, { flag: "a" });
    },
    async stop() {
      if (state.stopped) return;
      await stopAsync(state);
      unhook();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// users

interface UserInfo {
  name: string;
  uid: number;
  home: string;
}

function passwdEntry(name: string): UserInfo | undefined {
  for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
    const f = line.split(":");
    if (f[0] === name) return { name, uid: Number(f[2]), home: f[5] ?? `/home/${name}` };
  }
  return undefined;
}

/** Creates the user once (`useradd -m`); unlocks it (`usermod -p '*'`) when sshd would refuse it. */
function ensureUser(name: string): UserInfo {
  let u = passwdEntry(name);
  if (!u) {
    run("useradd", ["-m", "-s", "/bin/bash", name]);
    u = passwdEntry(name);
    if (!u) throw new Error(`useradd ${name} did not create the user`);
  }
  // With UsePAM no, sshd refuses a locked account ("!" in /etc/shadow) even with a valid key.
  const shadow = readFileSync("/etc/shadow", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name}:`));
  const pw = shadow?.split(":")[1] ?? "";
  if (pw.startsWith("!") || pw === "") run("usermod", ["-p", "*", name]);
  if (!existsSync(u.home)) {
    mkdirSync(u.home, { recursive: true, mode: 0o755 });
    run("chown", [`${name}:`, u.home]);
  }
  return u;
}

function resetHome(u: UserInfo): void {
  for (const entry of readdirSync(u.home)) rmSync(join(u.home, entry), { recursive: true, force: true });
  if (existsSync("/etc/skel")) cpSync("/etc/skel", u.home, { recursive: true });
  run("chown", ["-R", `${u.name}:`, u.home]);
}

function killUser(name: string): void {
  // pkill exits 1 when nothing matched.
  spawnSync("pkill", ["-KILL", "-u", name], { stdio: "ignore" });
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr || r.error || ""}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// keys

function keygen(path: string, comment: string): Promise<void> {
  return new Promise((res, rej) => {
    const p = spawn("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    p.stderr.on("data", (d) => {
      err += d;
    });
    p.on("error", (e) => rej(new Error(`ssh-keygen could not start (${e.message}): install openssh-client`)));
    p.on("close", (code) => (code === 0 ? res() : rej(new Error(`ssh-keygen ${path} failed: ${err}`))));
  });
}

/** `SHA256:...` of a public key line, as `ssh-keygen -lf` prints it. */
export function fingerprintOf(publicKeyLine: string): string {
  const b64 = publicKeyLine.trim().split(/\s+/)[1] ?? "";
  return `SHA256:${createHash("sha256").update(Buffer.from(b64, "base64")).digest("base64").replace(/=+$/, "")}`;
}

// ---------------------------------------------------------------------------------------------
// sshd

function sshdConfig(mdir: string, address: string, port: number, user: string, extra: string[]): string {
  return `# runbook test machine ${address}:${port} (generated by test/helpers/sshd-harness.ts)
${extra.map((l) => `${l}\n`).join("")}ListenAddress ${address}:${port}
HostKey ${join(mdir, "ssh_host_ed25519_key")}
PidFile ${join(mdir, "sshd.pid")}
AuthorizedKeysFile ${join(mdir, "authorized_keys")}
# The keys live in the harness dir (under /tmp), which StrictModes would reject.
StrictModes no
UsePAM no
PubkeyAuthentication yes
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
HostbasedAuthentication no
PermitRootLogin no
AllowUsers ${user}
PermitUserEnvironment no
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
PrintLastLog no
UseDNS no
LoginGraceTime 20
ClientAliveInterval 0
Subsystem sftp internal-sftp
LogLevel INFO
`;
}

async function startSshd(
  sshd: string,
  mdir: string,
  address: string,
  user: string,
  state: State,
  extra: string[],
): Promise<{ port: number; pid: number }> {
  let lastError = "";
  const config = join(mdir, "sshd_config");
  const logFile = join(mdir, "sshd.log");
  const pidFile = join(mdir, "sshd.pid");
  // A free port can be taken between probing and sshd's bind: retry with another one.
  for (let attempt = 0; attempt < 4; attempt++) {
    const port = await freePort(address);
    writeFileSync(config, sshdConfig(mdir, address, port, user, extra));
    writeFileSync(logFile, "");
    rmSync(pidFile, { force: true });
    // sshd daemonizes: the process we spawn exits at once and the daemon (reparented to init) writes
    // its PID to the PidFile once it listens. A daemon is not our child, so `bun test` does not kill
    // it as a "dangling process" when one test times out (it does kill children it spawned).
    const launcher = spawn(sshd, ["-f", config, "-E", logFile], { stdio: "ignore" });
    launcher.on("error", () => {});
    const launched = await new Promise<string | undefined>((res) => {
      launcher.on("exit", (code, sig) => res(code === 0 ? undefined : `exited with ${code ?? sig}`));
    });
    if (launched) {
      lastError = `${launched}; log: ${readFileSync(logFile, "utf8").trim().slice(-800)}`;
      continue;
    }
    const deadline = performance.now() + 5000;
    let failed = false;
    while (performance.now() < deadline && !failed) {
      const pid = readPid(pidFile);
      if (pid !== undefined) {
        if (!state.pids.includes(pid)) state.pids.push(pid);
        if (await hasSshBanner(address, port)) return { port, pid };
      }
      failed = /fatal|Cannot bind/i.test(readFileSync(logFile, "utf8"));
      await sleep(10);
    }
    lastError = `${failed ? "it failed" : "it did not answer within 5 s"}; log: ${readFileSync(logFile, "utf8").trim().slice(-800)}`;
    const pid = readPid(pidFile);
    if (pid !== undefined) killPid(pid, "SIGKILL");
  }
  throw new Error(`sshd for ${address} (user ${user}) did not start: ${lastError}`);
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function freePort(address: string): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", rej);
    srv.listen(0, address, () => {
      const a = srv.address();
      const port = typeof a === "object" && a ? a.port : 0;
      srv.close(() => res(port));
    });
  });
}

/** True when something on address:port speaks SSH (sends the `SSH-2.0-` banner). */
function hasSshBanner(address: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = new Socket();
    let buf = "";
    const done = (ok: boolean) => {
      s.destroy();
      res(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.on("error", () => done(false));
    s.on("data", (d) => {
      buf += d.toString("latin1");
      if (buf.includes("SSH-2.0-")) done(true);
    });
    s.on("close", () => done(false));
    s.connect(port, address);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Running (a zombie waiting for init to reap it counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

function killPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {}
}

/** PIDs to kill: the ones recorded at start plus whatever the PidFiles say now (they should agree). */
function sshdPids(state: State): number[] {
  const pids = new Set(state.pids);
  try {
    for (const m of readdirSync(state.dir)) {
      const f = join(state.dir, m, "sshd.pid");
      if (!existsSync(f)) continue;
      const pid = Number(readFileSync(f, "utf8").trim());
      if (Number.isInteger(pid) && pid > 1 && isSshdOf(pid, state.dir)) pids.add(pid);
    }
  } catch {}
  return [...pids];
}

/** Guards against a recycled PID: the process must be an sshd started with a config in our dir. */
function isSshdOf(pid: number, dir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(dir);
  } catch {
    return false;
  }
}

async function stopAsync(state: State): Promise<void> {
  if (state.stopped) return;
  state.stopped = true;
  const pids = sshdPids(state);
  for (const pid of pids) killPid(pid, "SIGTERM");
  for (const u of state.users) killUser(u);
  const deadline = performance.now() + 2000;
  while (pids.some(alive) && performance.now() < deadline) await sleep(10);
  for (const pid of pids.filter(alive)) killPid(pid, "SIGKILL");
  // Session processes can be started by a connection accepted just before the kill.
  for (const u of state.users) killUser(u);
  cleanupDir(state);
}

function stopSync(state: State): void {
  if (state.stopped) return;
  state.stopped = true;
  for (const pid of sshdPids(state)) killPid(pid, "SIGKILL");
  for (const u of state.users) killUser(u);
  cleanupDir(state);
}

function cleanupDir(state: State): void {
  rmSync(state.dir, { recursive: true, force: true });
  releaseLock(state.lock, state.dir);
}

// ---------------------------------------------------------------------------------------------
// one harness at a time (the users are shared)

interface LockInfo {
  pid: number;
  dir: string;
}

async function takeLock(LOCK: string, dir: string, waitMs: number): Promise<void> {
  const deadline = performance.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(LOCK, "wx", 0o644);
      writeFileSync(fd, JSON.stringify({ pid: process.pid, dir } satisfies LockInfo));
      closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    let info: LockInfo | undefined;
    try {
      info = JSON.parse(readFileSync(LOCK, "utf8")) as LockInfo;
    } catch {
      // Being written right now, or garbage: garbage is removed after the wait.
    }
    const stale =
      info !== undefined && (!alive(info.pid) || (info.pid === process.pid && !existsSync(info.dir)));
    if (stale && info) {
      // A run that died without stop(): kill its sshds and users' processes, then take over.
      stopSync({ dir: info.dir, lock: LOCK, pids: [], users: [], stopped: false });
      rmSync(LOCK, { force: true });
      continue;
    }
    if (performance.now() > deadline) {
      if (!info) {
        rmSync(LOCK, { force: true });
        continue;
      }
      rmSync(dir, { recursive: true, force: true });
      throw new Error(
        info.pid === process.pid
          ? "an sshd harness is already running in this process: stop() it (afterAll) before starting another"
          : `another sshd harness (pid ${info.pid}, ${info.dir}) is using the same test users ` +
              `(another test run?); wait for it to finish, or pass lockWaitMs with a longer beforeAll ` +
              `timeout; if that process hangs, kill it (the next run cleans up its sshds)`,
      );
    }
    await sleep(50);
  }
}

function releaseLock(LOCK: string, dir: string): void {
  try {
    const info = JSON.parse(readFileSync(LOCK, "utf8")) as LockInfo;
    if (info.dir === dir) rmSync(LOCK, { force: true });
  } catch {}
}
