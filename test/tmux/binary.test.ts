import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SshdHarness, startSshdHarness } from "../helpers/sshd-harness.ts";
import { shellWord, Tmux } from "./tmux.ts";

/**
 * The single executable (`bun run build`): built into a directory with no node_modules anywhere above
 * it, it runs the terminal UI in tmux and reaches machines over SSH (ssh2 without its native addons).
 */

const REPO = join(import.meta.dir, "..", "..");
const tmux = new Tmux(`runbook-bin-${process.pid}`);
let harness: SshdHarness;
let dir: string;
let binary: string;
let inventory: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "runbook-bin-"));
  binary = join(dir, "runbook");
  const build = Bun.spawnSync(["bun", join(REPO, "scripts", "build-binary.ts"), binary], { cwd: REPO });
  if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr.toString()}`);
  harness = await startSshdHarness({ count: 2, userPrefix: "rbbin", firstAddress: 70, lockWaitMs: 60_000 });
  inventory = harness.writeInventory(join(dir, "inventory.yaml"), {
    machines: { m1: { roles: ["app"] }, m2: { roles: ["app"] } },
  });
  writeFileSync(
    join(dir, "hello.md"),
    "---\ntitle: From the binary\nroles: [app]\n---\n\n# P\n\n## Hello {#hello}\n\n```sh {on=app}\necho hello from $(whoami)\n```\n",
  );
}, 90_000);

afterAll(async () => {
  tmux.kill();
  await harness?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the single binary", () => {
  test("is one file, outside the checkout, with no node_modules beside or above it", () => {
    expect(existsSync(binary)).toBe(true);
    for (let d = dir; d !== "/"; d = join(d, "..")) expect(existsSync(join(d, "node_modules"))).toBe(false);
    const v = Bun.spawnSync([binary, "--version"], { cwd: dir });
    expect(v.stdout.toString().trim()).toBe("0.1.0");
  });

  test("runs the terminal UI: a step over SSH, confirmed with Enter, then q", async () => {
    // A PATH with only what the shell around it needs: no bun.
    const bin = join(dir, "bin");
    mkdirSync(bin);
    for (const tool of ["env", "sleep"]) symlinkSync(Bun.which(tool) ?? `/usr/bin/${tool}`, join(bin, tool));
    const s = "bin";
    tmux.start(s, `${shellWord(binary)} run hello.md -i ${shellWord(inventory)}`, {
      cwd: dir,
      env: { RUNBOOK_STATE_DIR: join(dir, "state"), PATH: bin },
    });
    const screen = await tmux.waitFor(s, 'next: step 1/1 "Hello" [change] on m1, m2 · Enter runs it');
    expect(screen.rows).toHaveLength(24);
    tmux.keys(s, "Enter");
    const done = await tmux.waitFor(s, "run finished ok");
    expect(done.text).toContain("hello from rbbin1");
    tmux.keys(s, "q");
    expect(await tmux.exitCode(s)).toBe(0);
  }, 60_000);
});
