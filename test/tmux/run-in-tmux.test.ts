import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SshdHarness, startSshdHarness } from "../helpers/sshd-harness.ts";
import { shellWord, Tmux } from "./tmux.ts";

/**
 * The real program in a real terminal: `runbook run` in tmux at 80x24, against real OpenSSH machines
 * (three users on loopback), driven with send-keys and read with capture-pane, as an operator would.
 */

const REPO = join(import.meta.dir, "..", "..");
const MAIN = join(REPO, "src", "cli", "main.ts");
const tmux = new Tmux(`runbook-tui-${process.pid}`);
let harness: SshdHarness;
let dir: string;
let inventory: string;
let state: string;

beforeAll(async () => {
  // Own users and addresses: independent of the other SSH tests, which may run at the same time.
  harness = await startSshdHarness({ count: 3, userPrefix: "rbtui", firstAddress: 60, lockWaitMs: 60_000 });
  dir = mkdtempSync(join(tmpdir(), "runbook-tui-"));
  state = join(dir, "state");
  inventory = harness.writeInventory(join(dir, "inventory.yaml"), {
    machines: { m1: { roles: ["app"] }, m2: { roles: ["app"] }, m3: { roles: ["db"] } },
  });
}, 90_000);

afterAll(async () => {
  tmux.kill();
  await harness?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runbook(name: string, text: string): string {
  const file = join(dir, `${name}.md`);
  writeFileSync(file, text);
  return file;
}

/**
 * `runbook ARGS` in a tmux session; the run's state goes to this test's directory. A run that was quit
 * keeps its machines locked for its resume; the next test's run takes those stale locks over.
 */
function start(
  session: string,
  args: string,
  opts: { env?: Record<string, string>; columns?: number; rows?: number } = {},
) {
  tmux.start(session, `bun ${shellWord(MAIN)} ${args}`, {
    cwd: REPO,
    env: { RUNBOOK_STATE_DIR: state, NO_COLOR: "", ...opts.env },
    columns: opts.columns,
    rows: opts.rows,
  });
}

const home = (m: string) => harness.machine(m).home;

const WALKTHROUGH = `---
title: Walk-through in tmux
roles: [app, db]
confirm: wipe-it
vars:
  region: { describe: "where this runs", choices: [eu, us] }
  token: { secret: true, describe: "API token for the mirror" }
---

# Checks

## Who am I {#whoami}

Each machine says who runs there.

\`\`\`sh {on=all risk=read}
echo "$(whoami) in {{ region }}"
\`\`\`

## Optional extra {#optional}

\`\`\`sh {on=app}
touch ~/optional-ran
\`\`\`

## Flaky install {#flaky}

Fails the first time on each machine, then works.

\`\`\`sh {on=app}
if [ -f ~/tried ]; then echo "installed with {{ token }}"; else touch ~/tried; echo "mirror unreachable" >&2; exit 7; fi
\`\`\`

## Write the config {#config}

\`\`\`sh {on=app}
echo v1 > ~/app.conf && echo wrote config
\`\`\`

\`\`\`rollback {on=app}
rm ~/app.conf && echo config removed
\`\`\`

# Danger

## Wipe the cache {#wipe}

\`\`\`sh {on=db risk=destructive}
mkdir -p ~/cache && rm -rf ~/cache && echo cache wiped
\`\`\`

## Final check {#final}

\`\`\`sh {on=all risk=read}
echo all done on $(whoami)
\`\`\`
`;

describe("runbook run in a terminal", () => {
  test("confirm, skip with a reason, a failure then retry, rollback, a typed confirmation, quit, resume", async () => {
    const file = runbook("walkthrough", WALKTHROUGH);
    const s = "walk";
    start(s, `run ${shellWord(file)} -i ${shellWord(inventory)} --break-lock`);

    // Variables nothing gives a value are asked before the screen opens; the secret is masked.
    await tmux.waitFor(s, "? region — where this runs");
    tmux.keys(s, "Down", "Enter");
    await tmux.waitFor(s, "✓ region = us");
    await tmux.waitFor(s, "? token — API token for the mirror");
    tmux.type(s, "s3cr3t-t0ken");
    let screen = await tmux.waitFor(s, "> ••••••••••••█");
    expect(screen.text).not.toContain("s3cr3t");
    tmux.keys(s, "Enter");

    // 1. Enter runs the read step on every machine.
    screen = await tmux.waitFor(s, 'next: step 1/6 "Who am I" [read] on m1, m2, m3 · Enter runs it');
    expect(screen.rows).toHaveLength(24);
    expect(screen.rows[0]).toMatch(/^Walk-through in tmux +LIVE {2}\d\d:\d\d$/);
    expect(screen.rows[23]).toMatch(/^Enter run · s skip .* \? help$/);
    tmux.keys(s, "Enter");
    screen = await tmux.waitFor(s, 'next: step 2/6 "Optional extra"');
    expect(screen.text).toContain("rbtui1 in us");
    expect(screen.text).toContain("── output of m1 from 1/6 Who am I");

    // 2. s asks for a reason, which is journaled.
    tmux.keys(s, "s");
    await tmux.waitFor(s, "Skip step 2/6: why?");
    tmux.type(s, "not needed today");
    tmux.keys(s, "Enter");

    // 3. A failure: the box, the exit code, stderr marked; r retries the failed machines.
    await tmux.waitFor(s, 'next: step 3/6 "Flaky install"');
    tmux.keys(s, "Enter");
    screen = await tmux.waitFor(s, "step 3/6 failed on m1, m2");
    expect(screen.text).toMatch(/▸✗ m1 +failed +\d+\.\ds exit 7/);
    expect(screen.text).toContain("! mirror unreachable");
    expect(screen.rows[23]).toMatch(/^r retry · s skip on · b\/B roll back · x stop/);
    tmux.keys(s, "r");
    screen = await tmux.waitFor(s, 'next: step 4/6 "Write the config"');
    expect(screen.text).toContain("── run again");
    expect(screen.text).toContain("installed with ••••••");
    expect(screen.text).not.toContain("s3cr3t");

    // 4. The config step runs; then b rolls it back on the selected machine only (after a y).
    tmux.keys(s, "Enter");
    await tmux.waitFor(s, 'next: step 5/6 "Wipe the cache"');
    tmux.keys(s, "b");
    screen = await tmux.waitFor(s, 'Roll back "Write the config" on m1?');
    expect(screen.text).toContain("runs: rm ~/app.conf && echo config removed");
    tmux.keys(s, "y");
    screen = await tmux.waitFor(s, "── rollback ok ──");
    expect(screen.text).toContain("config removed");
    expect(existsSync(join(home("m1"), "app.conf"))).toBe(false);
    expect(readFileSync(join(home("m2"), "app.conf"), "utf8")).toBe("v1\n");

    // 5. The destructive step needs its word typed: a wrong one is refused.
    tmux.keys(s, "Enter");
    await tmux.waitFor(s, 'Destructive: type "wipe-it" to run it');
    tmux.type(s, "wipe");
    tmux.keys(s, "Enter");
    await tmux.waitFor(s, "not the word");
    tmux.type(s, "wipe-it");
    tmux.keys(s, "Enter");
    screen = await tmux.waitFor(s, 'next: step 6/6 "Final check"');
    expect(screen.text).toContain("cache wiped");

    // The screen follows a resize, and comes back to 80x24.
    tmux.resize(s, 110, 34);
    screen = await tmux.waitFor(s, (x) => x.rows.length === 34 && /\? help$/.test(x.rows[33] ?? ""));
    expect(screen.rows[0]).toMatch(/^Walk-through in tmux +LIVE {2}\d\d:\d\d$/);
    tmux.resize(s, 80, 24);
    await tmux.waitFor(s, (x) => x.rows.length === 24 && /\? help$/.test(x.rows[23] ?? ""));

    // 6. q between steps quits at once; the run stays resumable, and says how.
    tmux.keys(s, "q");
    expect(await tmux.exitCode(s)).toBe(3);
    screen = tmux.capture(s);
    expect(screen.text).toContain("✓ 1/6 Who am I");
    expect(screen.text).toContain("↷ 2/6 Optional extra (skipped: not needed today)");
    expect(screen.text).toContain("✓ 5/6 Wipe the cache");
    expect(screen.text).toContain("· 6/6 Final check");
    const runId = /resume with: runbook resume (\S+)/.exec(screen.text)?.[1] ?? "";
    expect(runId).not.toBe("");
    expect(existsSync(join(home("m1"), "optional-ran"))).toBe(false);
    const journal = readFileSync(join(state, "runs", runId, "journal.jsonl"), "utf8");
    expect(journal).toContain('"decision":{"kind":"skip","reason":"not needed today"}');
    expect(journal).not.toContain("s3cr3t");

    // Resume: the secret is asked again (it is never saved), and the last step runs.
    const r = "resume";
    start(r, `resume ${runId}`);
    screen = await tmux.waitFor(r, "? token");
    expect(screen.text).toContain("This runbook needs values that neither the inventory nor --var gives:");
    tmux.type(r, "s3cr3t-t0ken");
    tmux.keys(r, "Enter");
    screen = await tmux.waitFor(r, 'next: step 6/6 "Final check"');
    expect(screen.rows[0]).toContain("RESUMED");
    expect(screen.text).toMatch(/✓ Wipe the cache/);
    expect(screen.text).toContain("steps 5/6");
    // The earlier run's output is on screen again, marked as such.
    expect(screen.text).toContain("cache wiped");
    expect(screen.text).toContain("── until the earlier runner stopped ──");
    tmux.keys(r, "Enter");
    screen = await tmux.waitFor(r, "run finished ok: 6/6 steps done, 1 skipped");
    expect(screen.text).toContain("all done on rbtui");
    tmux.keys(r, "q");
    expect(await tmux.exitCode(r)).toBe(0);
    screen = tmux.capture(r);
    expect(screen.text).toContain("runbook: Walk-through in tmux · finished ok");
    expect(screen.text).toContain("↺ 4/6 Write the config (rolled-back)");
    expect(screen.text).toContain(`  run ${runId}`);
  }, 90_000);

  test("q while a step runs asks first; y stops its commands on every machine and leaves the run resumable", async () => {
    const file = runbook(
      "slow",
      "---\ntitle: Slow\nroles: [app]\n---\n\n# P\n\n## Sleep {#sleep}\n\n```sh {on=app}\necho sleeping; exec sleep 300\n```\n",
    );
    const s = "quit";
    start(s, `run ${shellWord(file)} -i ${shellWord(inventory)} --break-lock`);
    await tmux.waitFor(s, "Enter runs it");
    tmux.keys(s, "Enter");
    await tmux.waitFor(s, (x) => x.text.includes("sleeping") && x.text.includes("running step 1/1"));
    tmux.keys(s, "q");
    await tmux.waitFor(s, "Quit while it runs?");
    tmux.keys(s, "n");
    await tmux.waitFor(s, (x) => !x.text.includes("Quit while it runs?"));
    tmux.keys(s, "q");
    await tmux.waitFor(s, "Quit while it runs?");
    tmux.keys(s, "y");
    expect(await tmux.exitCode(s, 30_000)).toBe(3);
    expect(tmux.capture(s).text).toContain("resume with: runbook resume");
    for (const m of ["rbtui1", "rbtui2"]) {
      const ps = Bun.spawnSync(["pgrep", "-u", m, "-x", "sleep"]);
      expect(ps.stdout.toString()).toBe("");
    }
  }, 60_000);

  test("an unknown host key opens a box with its fingerprint; y accepts and remembers it", async () => {
    const empty = join(dir, "known_hosts.empty");
    writeFileSync(empty, "");
    const inv = join(dir, "inventory-unknown-keys.yaml");
    writeFileSync(inv, readFileSync(inventory, "utf8").replaceAll(harness.knownHosts, empty));
    const file = runbook(
      "hostkey",
      "---\ntitle: First contact\nroles: [app]\n---\n\n# P\n\n## Hello {#hello}\n\n```sh {on=app risk=read}\necho hello\n```\n",
    );
    const s = "hostkey";
    start(s, `run ${shellWord(file)} -i ${shellWord(inv)} --break-lock`);
    // One box per machine, one at a time (they connect in parallel, when the run locks them or when
    // the step first runs on them): each is checked, then accepted.
    const seen: string[] = [];
    for (;;) {
      const screen = await tmux.waitFor(
        s,
        (x) =>
          x.text.includes("Enter runs it") ||
          x.text.includes("run finished") ||
          (x.text.includes("Unknown host key") && !seen.some((m) => x.text.includes(`${m} (127.`))),
      );
      if (screen.text.includes("run finished ok")) break;
      if (screen.text.includes("Unknown host key")) {
        const m = /(m\d) \(127\.0\.0\.\d+:\d+\) is not in known_hosts\./.exec(screen.text)?.[1] ?? "";
        expect(screen.text).toContain(harness.machine(m).fingerprint);
        seen.push(m);
        tmux.keys(s, "y");
      } else {
        expect(screen.text).toContain("Enter runs it");
        tmux.keys(s, "Enter");
        await tmux.waitFor(s, (x) => !x.text.includes("Enter runs it"));
      }
    }
    expect(seen.sort()).toEqual(["m1", "m2"]);
    tmux.keys(s, "q");
    expect(await tmux.exitCode(s)).toBe(0);
    const known = readFileSync(empty, "utf8");
    for (const m of ["m1", "m2"])
      expect(known).toContain(harness.machine(m).hostPublicKey.split(" ")[1] ?? "?");
  }, 60_000);

  test("a machine printing as fast as it can: keys still work and the screen keeps up", async () => {
    // The machines print until the test has pressed its keys (and at most a minute).
    const stop = (m: string) => join(home(m), "stop-flood");
    const file = runbook(
      "flood",
      '---\ntitle: Flood\nroles: [app]\n---\n\n# P\n\n## Print {#print}\n\n```sh {on=app}\nrm -f ~/stop-flood; n=0; end=$((SECONDS+60)); while [ ! -f ~/stop-flood ] && [ $SECONDS -lt $end ]; do seq 1 2000; n=$((n+1)); done; echo "flood over after $n rounds"\n```\n',
    );
    const s = "flood";
    start(s, `run ${shellWord(file)} -i ${shellWord(inventory)} --break-lock`);
    await tmux.waitFor(s, "Enter runs it");
    tmux.keys(s, "Enter");
    await tmux.waitFor(s, (x) => x.text.includes("running step 1/1") && /\n +\d+\n/.test(x.text));
    // While the output floods in: the help opens and closes, and the selected machine changes.
    tmux.keys(s, "?");
    let screen = await tmux.waitFor(s, "any key closes the help");
    expect(screen.rows[2]).toContain("running step 1/1");
    tmux.keys(s, "x");
    await tmux.waitFor(s, "── output of m1");
    tmux.keys(s, "Tab");
    screen = await tmux.waitFor(s, "── output of m2");
    expect(screen.rows[2]).toContain("running step 1/1");
    for (const m of ["m1", "m2"]) writeFileSync(stop(m), "");
    screen = await tmux.waitFor(s, "run finished ok", 30_000);
    expect(screen.text).toMatch(/flood over after \d+ rounds/);
    tmux.keys(s, "q");
    expect(await tmux.exitCode(s)).toBe(0);
  }, 90_000);

  test("--auto-read runs read-only steps without asking and stops at the first change step", async () => {
    const file = runbook("auto", WALKTHROUGH);
    const s = "auto";
    start(s, `run ${shellWord(file)} -i ${shellWord(inventory)} --break-lock --var region=eu --auto-read`);
    await tmux.waitFor(s, "? token");
    tmux.type(s, "xyz");
    tmux.keys(s, "Enter");
    const screen = await tmux.waitFor(s, 'next: step 2/6 "Optional extra" [change]');
    expect(screen.text).toMatch(/✓ Who am I/);
    expect(screen.rows[0]).toContain("auto-read on ·");
    tmux.keys(s, "q");
    expect(await tmux.exitCode(s)).toBe(3);
  }, 30_000);

  test("Esc at a variable's question ends the run before anything runs", async () => {
    const file = runbook("cancel", WALKTHROUGH);
    const s = "cancel";
    start(s, `run ${shellWord(file)} -i ${shellWord(inventory)} --break-lock`);
    await tmux.waitFor(s, "? region");
    tmux.keys(s, "Escape");
    expect(await tmux.exitCode(s)).toBe(3);
    expect(tmux.capture(s).text).toContain("✗ region: no value given; nothing was run");
  }, 30_000);

  test("--dry-run browses the plan per machine; NO_COLOR leaves no colour on screen, colours otherwise", async () => {
    const file = runbook("walk-dry", WALKTHROUGH);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for colour codes is the point
    const colour = /\x1b\[[0-9;]*(3[0-7]|9[0-7]|38;[25];[0-9;]+)m/;
    const runs = () => (existsSync(join(state, "runs")) ? readdirSync(join(state, "runs")).length : 0);
    const before = runs();
    const plain = "dry-plain";
    start(plain, `run ${shellWord(file)} -i ${shellWord(inventory)} --var region=eu --dry-run`, {
      env: { NO_COLOR: "1" },
    });
    let screen = await tmux.waitFor(plain, "dry run: nothing runs here");
    expect(screen.rows[0]).toMatch(/DRY RUN *$/);
    expect(screen.text).toContain('$ echo "$(whoami) in eu"');
    tmux.keys(plain, "Down", "Down");
    screen = await tmux.waitFor(plain, "3/6 Flaky install [change]");
    tmux.keys(plain, "Enter", "y");
    expect(tmux.capture(plain, true).text).not.toMatch(colour);
    tmux.keys(plain, "q");
    expect(await tmux.exitCode(plain)).toBe(0);
    expect(runs()).toBe(before);

    const coloured = "dry-colour";
    start(coloured, `run ${shellWord(file)} -i ${shellWord(inventory)} --var region=eu --dry-run`);
    await tmux.waitFor(coloured, "dry run: nothing runs here");
    expect(tmux.capture(coloured, true).text).toMatch(colour);
    tmux.keys(coloured, "q");
    expect(await tmux.exitCode(coloured)).toBe(0);
  }, 30_000);

  test("when stdout is not a terminal the plain reporter takes over: no escape codes", async () => {
    const file = runbook(
      "piped",
      "---\ntitle: Piped\nroles: [app]\n---\n\n# P\n\n## Hello {#hello}\n\n```sh {on=app risk=read}\necho hello piped\n```\n",
    );
    const out = join(dir, "piped.out");
    const s = "piped";
    start(s, `run ${shellWord(file)} -i ${shellWord(inventory)} --yes --break-lock > ${shellWord(out)}`);
    expect(await tmux.exitCode(s)).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text).toContain("m1 | hello piped");
    expect(text).not.toContain("\x1b");
    const refused = "piped-no-yes";
    start(refused, `run ${shellWord(file)} -i ${shellWord(inventory)} | cat`);
    const screen = await tmux.waitFor(refused, /EXIT=\d+/);
    expect(screen.text).toContain("this is not a terminal, so nobody can confirm the steps");
  }, 30_000);
});
