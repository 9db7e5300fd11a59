import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO } from "./run-cli.ts";

/**
 * Each command loads only what it uses: --help, log, check, plan and import never load the terminal UI (ink,
 * React), zx or ssh2; a headless run on local machines loads zx but not the UI or ssh2.
 */
const dir = mkdtempSync(join(tmpdir(), "runbook-lazy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PRELOAD = join(dir, "record-modules.ts");
writeFileSync(
  PRELOAD,
  `process.on("exit", () => {
  const names = Object.keys(require.cache)
    .filter((f) => f.includes("/node_modules/"))
    .map((f) => f.replace(/.*node_modules[/]/, "").split("/")[0]);
  require("node:fs").writeFileSync(process.env.RUNBOOK_TEST_MODULES, JSON.stringify([...new Set(names)]));
});
`,
);

const HEAVY = ["ink", "react", "zx", "ssh2"];

function packagesLoaded(args: string[]): string[] {
  const out = join(dir, `modules-${Math.random().toString(36).slice(2)}.json`);
  const proc = Bun.spawnSync(["bun", "--preload", PRELOAD, join(REPO, "src", "cli", "main.ts"), ...args], {
    cwd: REPO,
    env: { ...process.env, RUNBOOK_TEST_MODULES: out, RUNBOOK_STATE_DIR: join(dir, "state"), NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  if (proc.exitCode !== 0) throw new Error(`runbook ${args.join(" ")}: ${proc.stderr.toString()}`);
  return JSON.parse(readFileSync(out, "utf8")) as string[];
}

describe("what each command loads", () => {
  test.each([
    [["--help"]],
    [["log"]],
    [["check", "runbooks/rocketmq/single-master.md"]],
    [["plan", "runbooks/rocketmq/single-master.md"]],
    [["import", "test/import/fixtures/rocketmq-cluster-modes.seed.md"]],
  ])("runbook %p loads none of ink, React, zx or ssh2", (args) => {
    expect(packagesLoaded(args).filter((p) => HEAVY.includes(p))).toEqual([]);
  });

  test("a headless run on local machines loads zx, and neither the terminal UI nor ssh2", () => {
    const file = join(dir, "local.md");
    writeFileSync(
      file,
      "---\ntitle: Local\nroles: [app]\n---\n\n# P\n\n## Say {#say}\n\n```sh {on=app}\necho hi\n```\n",
    );
    const inv = join(dir, "inv.yaml");
    writeFileSync(inv, `hosts:\n  here: { transport: local, roles: [app] }\n`);
    const loaded = packagesLoaded(["run", file, "-i", inv, "--yes"]);
    expect(loaded).toContain("zx");
    expect(loaded.filter((p) => ["ink", "react", "ssh2"].includes(p))).toEqual([]);
  });
});
