#!/usr/bin/env bun
/**
 * Captures the screens of docs/terminal-ui.md again: the real program in a detached tmux session at
 * 80x24 (or the size a screen needs), driven with send-keys and read with capture-pane, each capture
 * written between its markers in the doc:
 *
 *   <!-- screen:NAME -->
 *   ```text
 *   ...
 *   ```
 *   <!-- /screen -->
 *
 *   bun scripts/capture-terminal-ui.ts               every group of screens
 *   bun scripts/capture-terminal-ui.ts demo dry      only these groups (see GROUPS)
 *   bun scripts/capture-terminal-ui.ts --print ...   print the captures, leave the doc as it is
 *
 * The demo runs on this host (docs/demo/inv.yaml, local transport, files under /tmp/docs, which is
 * removed first); the host key screens need two real OpenSSH machines (test/helpers/sshd-harness.ts),
 * so that group must run as root. A group that fails leaves its blocks as they were and is reported.
 * Every tmux session is named rbdocs-* on its own server (-L rbdocs) and killed by name.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const REPO = join(import.meta.dir, "..");
const DOC = join(REPO, "docs", "terminal-ui.md");
const DEMO = join(REPO, "docs", "demo");
const MAIN = join(REPO, "src", "cli", "main.ts");
/** Where the demo keeps its files (docs/demo/demo-app.md says so), its runs and its machine lock. */
const SCRATCH = "/tmp/docs";
const STATE = join(SCRATCH, "state");
/** The runs' home: the local machines' lock (~/.runbook/lock) is then this script's own. */
const HOME = join(SCRATCH, "home");
const SOCKET = "rbdocs";
const TOKEN = "s3cr3t!";

const captures = new Map<string, string>();

// ---------------------------------------------------------------------------------------------------
// tmux

function tmux(args: string[], check = true): string {
  const r = spawnSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8" });
  if (check && r.status !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr || r.status}`);
  return r.stdout;
}

function shellWord(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const sessions = new Set<string>();

interface StartOptions {
  cwd?: string;
  env?: Record<string, string>;
  columns?: number;
  rows?: number;
}

/** `bun src/cli/main.ts ARGS` in a new session; when it ends the pane shows EXIT=<code> and stays. */
function start(name: string, args: string, opts: StartOptions = {}): string {
  const session = `rbdocs-${name}`;
  kill(session);
  const env = Object.entries({
    TERM: "xterm-256color",
    NO_COLOR: "1",
    HOME,
    RUNBOOK_STATE_DIR: STATE,
    ...opts.env,
  })
    .map(([k, v]) => `${k}=${shellWord(v)}`)
    .join(" ");
  // CI must not reach the program: ink renders non-interactively when it is set.
  const script = `cd ${shellWord(opts.cwd ?? DEMO)} && env -u CI ${env} bun ${shellWord(MAIN)} ${args}; echo "EXIT=$?"; exec sleep 100000`;
  const size = ["-x", String(opts.columns ?? 80), "-y", String(opts.rows ?? 24)];
  tmux(["new-session", "-d", "-s", session, ...size, "bash", "--noprofile", "--norc", "-c", script]);
  sessions.add(session);
  // The window keeps the session's size: no client is attached to size it.
  tmux(["set-option", "-t", session, "window-size", "manual"], false);
  return session;
}

/** A run of this script's own left by a group that failed keeps the local machines' lock: not for the next. */
function unlock(): void {
  mkdirSync(HOME, { recursive: true });
  rmSync(join(HOME, ".runbook", "lock"), { recursive: true, force: true });
}

function kill(session: string): void {
  tmux(["kill-session", "-t", session], false);
  sessions.delete(session);
}

function keys(session: string, ...names: string[]): void {
  for (const k of names) tmux(["send-keys", "-t", session, k]);
}

function type(session: string, text: string): void {
  tmux(["send-keys", "-t", session, "-l", text]);
}

function screen(session: string): string {
  return tmux(["capture-pane", "-p", "-t", session]).replace(/\n$/, "");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Check = string | RegExp | ((text: string) => boolean);

function holds(check: Check, text: string): boolean {
  if (typeof check === "string") return text.includes(check);
  if (check instanceof RegExp) return check.test(text);
  return check(text);
}

/** Polls the screen until `check` holds; fails after `timeoutMs` with the last screen. */
async function waitFor(session: string, check: Check, timeoutMs = 20_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const text = screen(session);
    if (holds(check, text)) return text;
    if (Date.now() > until) throw new Error(`timed out waiting for ${String(check)}; the screen:\n${text}`);
    await sleep(100);
  }
}

/**
 * The screen once it has stopped changing for `quietMs` (the clock in the first row aside), or as it
 * is after `timeoutMs`.
 */
async function settle(session: string, quietMs = 600, timeoutMs = 5_000): Promise<string> {
  const withoutClock = (t: string) => t.replace(/\d\d:\d\d$/m, "");
  const until = Date.now() + timeoutMs;
  let last = screen(session);
  let since = Date.now();
  while (Date.now() < until) {
    await sleep(100);
    const now = screen(session);
    if (withoutClock(now) !== withoutClock(last)) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return now;
  }
  return last;
}

/** Waits for `check`, lets the screen settle (unless `settled` is false) and keeps it as `name`. */
async function capture(
  name: string,
  session: string,
  check: Check,
  opts: { settled?: boolean; timeoutMs?: number } = {},
): Promise<string> {
  let text = await waitFor(session, check, opts.timeoutMs);
  if (opts.settled !== false) {
    text = await settle(session);
    if (!holds(check, text)) text = await waitFor(session, check, opts.timeoutMs);
  }
  const clean = text
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n")
    .replace(/\n+$/, "");
  captures.set(name, clean);
  console.log(`  captured ${name}`);
  return text;
}

async function exitCode(session: string, timeoutMs = 30_000): Promise<number> {
  const text = await waitFor(session, /EXIT=\d+/, timeoutMs);
  return Number(/EXIT=(\d+)/.exec(text)?.[1]);
}

// ---------------------------------------------------------------------------------------------------
// The screens, group by group, in the doc's order.

/** The demo from its first question to its end: quit while running, resume, finish. */
async function demo(): Promise<void> {
  rmSync(SCRATCH, { recursive: true, force: true });
  unlock();
  const s = start("demo", "run demo-app.md -i inv.yaml");
  await waitFor(s, "? channel");
  keys(s, "Down");
  await capture("vars-choice", s, "› beta");
  keys(s, "Enter");
  await waitFor(s, "? api_token");
  type(s, TOKEN);
  await capture("vars-secret", s, `> ${"•".repeat(TOKEN.length)}█`);
  keys(s, "Enter");

  await capture("before-step", s, 'next: step 1/6 "Check the machines"');
  keys(s, "Enter");
  await capture("between-steps", s, 'next: step 2/6 "Download the release"');
  keys(s, "Enter");
  await capture("failure", s, "step 2/6 failed on app1, app2");
  keys(s, "r");
  await capture("retry-running", s, "fetching part 3 of 6", { settled: false });
  await capture("retry-done", s, 'next: step 3/6 "Install the release"');
  keys(s, "Enter");
  await waitFor(s, 'next: step 4/6 "Clear the old sessions"');
  await settle(s);
  keys(s, "b");
  await capture("rollback-ask", s, 'Roll back "Install the release" on app1?');
  keys(s, "y");
  await capture("rollback-done", s, "── rollback ok ──");

  keys(s, "s");
  await waitFor(s, "Skip step 4/6: why?");
  type(s, "sessions expire by themselves tonight");
  await capture("skip-reason", s, "tonight█");
  keys(s, "Enter");
  await waitFor(s, 'next: step 5/6 "Wipe the cache"');
  await settle(s);
  keys(s, "Up", "Up");
  await capture("browsing", s, "browsing step 3/6");
  keys(s, "Escape");
  await waitFor(s, (t) => t.includes('next: step 5/6 "Wipe the cache"') && !t.includes("browsing"));
  keys(s, "Enter");
  await capture("confirm-word", s, 'Destructive: type "wipe-cache"');
  type(s, "wipe");
  keys(s, "Enter");
  await capture("confirm-wrong", s, "not the word");
  for (let i = 0; i < 4; i++) keys(s, "BSpace");
  type(s, "wipe-cache");
  keys(s, "Enter");

  await waitFor(s, 'next: step 6/6 "Smoke test"');
  await settle(s);
  keys(s, "?");
  await capture("help", s, "any key closes the help");
  keys(s, "x");
  await waitFor(s, (t) => !t.includes("any key closes the help"));
  keys(s, "i");
  await capture("details", s, "any other key closes");
  keys(s, "Escape");
  await waitFor(s, (t) => !t.includes("any other key closes"));
  keys(s, "Enter");
  await capture("running", s, "GET /health -> 200 (12)", { settled: false });
  keys(s, "q");
  await capture("quit-ask", s, "Quit while it runs?", { settled: false });
  keys(s, "y");
  if ((await exitCode(s)) !== 3) throw new Error(`the demo did not stop with 3:\n${screen(s)}`);
  const stopped = await capture("summary-stopped", s, /EXIT=\d+/);
  kill(s);

  const runId = /resume with: runbook resume (\S+)/.exec(stopped)?.[1];
  if (!runId) throw new Error(`no run id in:\n${stopped}`);
  const r = start("resume", `resume ${runId}`);
  await waitFor(r, "? api_token");
  type(r, TOKEN);
  keys(r, "Enter");
  await capture("resumed", r, 'next: step 6/6 "Smoke test"');
  keys(r, "Enter");
  await capture("finished", r, "run finished ok");
  keys(r, "q");
  await exitCode(r);
  await capture("summary-finished", r, /EXIT=\d+/);
  kill(r);
}

/** docs/demo/checks.md: keep-going checks, one failing on both app machines. */
async function checks(): Promise<void> {
  unlock();
  const s = start("checks", "run checks.md -i inv.yaml");
  for (;;) {
    const t = await waitFor(s, (x) => x.includes("Enter runs it") || x.includes("run finished"));
    if (t.includes("run finished")) break;
    keys(s, "Enter");
    await waitFor(s, (x) => !x.includes(t.split("\n")[2] ?? ""));
  }
  await capture("checks-failed", s, "run finished");
  keys(s, "q");
  await exitCode(s);
  await capture("checks-summary", s, /EXIT=\d+/);
  kill(s);
}

/** A runner that dies while the smoke test runs (kill -9), then resumed: the machines are unknown. */
async function unknown(): Promise<void> {
  unlock();
  const env = { RUNBOOK_SECRET_API_TOKEN: TOKEN };
  const s = start("unknown", "run demo-app.md -i inv.yaml --var channel=beta --only smoke", { env });
  await waitFor(s, 'next: step 6/6 "Smoke test"');
  keys(s, "Enter");
  await waitFor(s, "GET /health -> 200 (3)");
  const shell = tmux(["display-message", "-p", "-t", s, "#{pane_pid}"]).trim();
  const bun = spawnSync("pgrep", ["-P", shell, "-x", "bun"], { encoding: "utf8" }).stdout.trim();
  if (!bun) throw new Error("the runner's process was not found");
  process.kill(Number(bun), "SIGKILL");
  const dead = await waitFor(s, /EXIT=\d+/);
  kill(s);
  const runId = /journal: .*\/runs\/([^/\s]+)/.exec(dead)?.[1] ?? latestRun();
  // Resumed: the runner looks on each machine for the command's process group and asks.
  const r = start("unknown-resume", `resume ${runId}`, { env });
  await capture("unknown", r, "State unknown", { timeoutMs: 30_000 });
  keys(r, "x");
  await waitFor(r, "run stopped at");
  keys(r, "q");
  await exitCode(r);
  kill(r);
}

function latestRun(): string {
  const r = spawnSync("ls", ["-t", join(STATE, "runs")], { encoding: "utf8" });
  const id = r.stdout.split("\n")[0]?.trim();
  if (!id) throw new Error("no run in the state directory");
  return id;
}

/** Two real OpenSSH machines whose host keys are not known: the box, then a refusal. */
async function hostKey(): Promise<void> {
  const { startSshdHarness } = await import("../test/helpers/sshd-harness.ts");
  const harness = await startSshdHarness({
    count: 2,
    names: ["broker1", "broker2"],
    userPrefix: "rbdocs",
    firstAddress: 100,
    lockWaitMs: 60_000,
  });
  try {
    const dir = join(SCRATCH, "ssh");
    mkdirSync(dir, { recursive: true });
    const empty = join(dir, "known_hosts");
    writeFileSync(empty, "");
    const inv = harness.writeInventory(join(dir, "ssh-inv.yaml"), {
      machines: { broker1: { roles: ["app"] }, broker2: { roles: ["db"] } },
    });
    writeFileSync(inv, readFileSync(inv, "utf8").replaceAll(harness.knownHosts, empty));
    const s = start(
      "hostkey",
      `run ${shellWord(join(DEMO, "demo-app.md"))} -i ssh-inv.yaml --var channel=beta`,
      {
        cwd: dir,
        env: { RUNBOOK_SECRET_API_TOKEN: TOKEN },
      },
    );
    const first = await capture("hostkey", s, "Unknown host key", { timeoutMs: 30_000 });
    const refused = /(broker\d) \(127\./.exec(first)?.[1] ?? "";
    keys(s, "n");
    // The other machine's box, if it comes, is accepted.
    for (;;) {
      const t = await waitFor(s, (x) => x.includes("refused:") || /broker\d \(127\./.test(x), 30_000);
      if (t.includes("refused:")) break;
      if (!t.includes(`${refused} (127.`)) keys(s, "y");
      await sleep(300);
    }
    await capture("hostkey-refused", s, "refused:");
    keys(s, "q");
    await exitCode(s);
    kill(s);
  } finally {
    await harness.stop();
  }
}

/** The shipped RocketMQ runbook, browsed to its NameServer step, then that step entirely (i). */
async function dryRun(): Promise<void> {
  unlock();
  const s = start("dry", "run runbooks/rocketmq/single-master.md --dry-run", { cwd: REPO });
  await waitFor(s, "dry run: nothing runs here");
  // Past the prerequisites and the preflight (eight steps) and the installation to the NameServer.
  for (let i = 0; i < 24; i++) keys(s, "Down");
  await capture("dry-run", s, "25/31 Start the NameServer");
  keys(s, "i");
  await capture("dry-details", s, "any other key closes");
  keys(s, "Escape");
  await waitFor(s, (t) => !t.includes("any other key closes"));
  // Not at once: ESC then q would read as Alt-q.
  await sleep(300);
  keys(s, "q");
  await exitCode(s);
  kill(s);
}

/** Below 60x20 the screen says so. */
async function small(): Promise<void> {
  unlock();
  const s = start("small", "run demo-app.md -i inv.yaml --var channel=beta", {
    columns: 50,
    rows: 15,
    env: { RUNBOOK_SECRET_API_TOKEN: TOKEN },
  });
  await capture("too-small", s, "needs a terminal");
  keys(s, "q");
  await exitCode(s);
  kill(s);
}

/** docs/demo/fleet.yaml: 30 local machines, two of which fail, on a terminal too small for them. */
async function fleet(): Promise<void> {
  rmSync(join(SCRATCH, "fleet"), { recursive: true, force: true });
  unlock();
  const size = { columns: 80, rows: 24 };
  const s = start("fleet", "run fleet.md -i fleet.yaml --forks 8", size);
  await waitFor(s, 'next: step 1/1 "Restart the web servers"');
  keys(s, "Enter");
  await capture("fleet-running", s, /✗ 1 failed · ▶ \d+ running/, { settled: false });
  await capture("fleet-failed", s, "step 1/1 failed on", { timeoutMs: 60_000 });
  keys(s, "f");
  await capture("fleet-next-failed", s, "▸✗ web-17");
  keys(s, "x");
  await waitFor(s, "run failed at step 1/1", 30_000);
  keys(s, "q");
  await exitCode(s);
  kill(s);
}

const GROUPS: Record<string, () => Promise<void>> = {
  demo,
  checks,
  unknown,
  hostkey: hostKey,
  dry: dryRun,
  small,
  fleet,
};

// ---------------------------------------------------------------------------------------------------

/** Puts each capture between its markers; a name without markers in the doc is reported. */
function writeDoc(): string[] {
  let doc = readFileSync(DOC, "utf8");
  const missing: string[] = [];
  for (const [name, text] of captures) {
    const re = new RegExp(`(<!-- screen:${name} -->\\n)[\\s\\S]*?(<!-- /screen -->)`);
    if (!re.test(doc)) {
      missing.push(name);
      continue;
    }
    doc = doc.replace(
      re,
      (_m, open: string, close: string) => `${open}\`\`\`text\n${text}\n\`\`\`\n${close}`,
    );
  }
  writeFileSync(DOC, doc);
  return missing;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const print = args.includes("--print");
  const names = args.filter((a) => a !== "--print");
  for (const n of names) if (!GROUPS[n]) throw new Error(`no group ${n}; the groups: ${Object.keys(GROUPS)}`);
  const failed: string[] = [];
  for (const [name, run] of Object.entries(GROUPS)) {
    if (names.length > 0 && !names.includes(name)) continue;
    console.log(`${name}:`);
    try {
      await run();
    } catch (e) {
      failed.push(name);
      console.error(
        `  ${name} failed, its screens are left as they were: ${e instanceof Error ? e.message : e}`,
      );
    } finally {
      for (const session of [...sessions]) if (session.startsWith(`rbdocs-`)) kill(session);
    }
  }
  if (print) {
    for (const [name, text] of captures) console.log(`\n<!-- screen:${name} -->\n${text}`);
  } else {
    const missing = writeDoc();
    if (missing.length > 0) console.error(`no markers in the doc for: ${missing.join(", ")}`);
    console.log(`${captures.size} screens written to ${DOC}`);
  }
  if (failed.length > 0) process.exitCode = 1;
}

await main();
