import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Plan } from "../../src/model/plan.ts";
import { REPO, runCli } from "./run-cli.ts";

describe("signals", () => {
  test("SIGTERM ends check at once, even in the middle of a long parse (only a run stops its commands first)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runbook-sigterm-"));
    try {
      const file = join(dir, "huge.md");
      const step = (i: number) =>
        `## Step ${i} {#s${i}}\n\nSome prose for step ${i}, *with* [links](x) and \`code\`.\n\n\`\`\`sh {on=app}\necho ${i}\n\`\`\`\n\n`;
      writeFileSync(
        file,
        `---\ntitle: Huge\nroles: [app]\n---\n\n# P\n\n${Array.from({ length: 60_000 }, (_, i) => step(i)).join("")}`,
      );
      const proc = Bun.spawn(["bun", join(REPO, "src", "cli", "main.ts"), "check", file], {
        cwd: REPO,
        stdout: "pipe",
        stderr: "pipe",
      });
      await Bun.sleep(800);
      expect(proc.exitCode).toBeNull();
      const sent = performance.now();
      proc.kill("SIGTERM");
      await proc.exited;
      expect(performance.now() - sent).toBeLessThan(1500);
      expect(proc.signalCode).toBe("SIGTERM");
      expect(await new Response(proc.stderr).text()).not.toContain("stopping the running commands");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe("runbook check", () => {
  test("a broken runbook exits 2 and names file:line:col with the fix", () => {
    const r = runCli(["check", "test/fixtures/broken.md"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('test/fixtures/broken.md:12:26: unknown attribute "wiat-for" on a sh block');
    expect(r.stderr).toContain('did you mean "wait-for"?');
    expect(r.stderr).not.toContain("    at ");
  });

  test("a good runbook passes with a summary", () => {
    const r = runCli(["check", "test/fixtures/small.md"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ok    test/fixtures/small.md (1 phase, 2 steps)");
  });

  test("with -i it also plans, and reports a value a machine lacks", () => {
    const r = runCli(["check", "test/fixtures/small.md", "-i", "test/fixtures/small-inventory.yaml"]);
    expect(r.code).toBe(0);
    const missing = runCli([
      "check",
      "test/fixtures/small.md",
      "-i",
      "test/fixtures/small-inventory.yaml",
      "--var",
      "nope=1",
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("this runbook declares no variable nope");
  });

  test("a missing file is a clear error, not a stack trace", () => {
    const r = runCli(["check", "test/fixtures/does-not-exist.md"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot read");
    expect(r.stderr).not.toContain("    at ");
  });
});

describe("runbook plan", () => {
  test("the review shows every machine's command and rollback", () => {
    const r = runCli(["plan", "test/fixtures/small.md", "-i", "test/fixtures/small-inventory.yaml"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Plan: A small runbook");
    expect(r.stdout).toContain("on db1 (127.0.0.1):");
    expect(r.stdout).toContain("$ cd /srv/app && ./db --port 5432");
    expect(r.stdout).toContain("wait: port 5432 open within 30s");
    expect(r.stdout).toContain('rollback $ pkill -f "./db --port 5432"');
    // Identical machines are listed together.
    expect(r.stdout).toContain("on web1 (192.0.2.10), web2 (192.0.2.11):");
    expect(r.stdout).not.toContain("\x1b[");
  });

  test("--json parses and carries the same plan; --out saves it", () => {
    const dir = mkdtempSync(join(tmpdir(), "runbook-cli-"));
    try {
      const out = join(dir, "plan.json");
      const r = runCli([
        "plan",
        "test/fixtures/small.md",
        "-i",
        "test/fixtures/small-inventory.yaml",
        "--json",
        "--out",
        out,
        "--var",
        "home=/opt/x y",
      ]);
      expect(r.code).toBe(0);
      const plan = JSON.parse(r.stdout) as Plan;
      expect(plan.format).toBe("runbook-plan/1");
      expect(plan.hash).toMatch(/^[0-9a-f]{64}$/);
      const db = plan.phases[0]?.steps[0]?.targets.find((t) => t.host === "db1");
      expect(db?.actions[0]).toMatchObject({
        kind: "shell",
        command: "cd '/opt/x y' && ./db --port 5432\n",
        background: true,
      });
      expect(db?.rollback[0]?.command).toBe('pkill -f "./db --port 5432"\n');
      expect(JSON.parse(readFileSync(out, "utf8"))).toEqual(plan);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("--limit restricts the machines", () => {
    const r = runCli([
      "plan",
      "test/fixtures/small.md",
      "-i",
      "test/fixtures/small-inventory.yaml",
      "--json",
      "--limit",
      "web2",
    ]);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as Plan;
    const hosts = plan.phases.flatMap((p) => p.steps.flatMap((s) => s.targets.map((t) => t.host)));
    expect([...new Set(hosts)]).toEqual(["web2"]);
  });

  test("--forks (and its old name --parallel) takes a whole number of machines, 1 or more: anything else is refused before anything runs", () => {
    const dir = mkdtempSync(join(tmpdir(), "runbook-parallel-"));
    try {
      writeFileSync(
        join(dir, "rb.md"),
        "---\ntitle: P\nroles: [app]\n---\n# P\n## S\n```sh {on=app}\ntouch ran\n```\n",
      );
      writeFileSync(join(dir, "inv.yaml"), `hosts:\n  a: { transport: local, roles: [app] }\n`);
      for (const [flag, bad] of [
        ["--forks", "abc"],
        ["--forks", "0"],
        ["--parallel", "-2"],
        ["--parallel", "1.5"],
      ] as const) {
        const r = runCli(["run", "rb.md", "-i", "inv.yaml", "--yes", flag, bad], {
          cwd: dir,
          env: { RUNBOOK_STATE_DIR: join(dir, "state"), HOME: dir },
          timeoutMs: 20_000,
        });
        expect({ bad, code: r.code }).toEqual({ bad, code: 2 });
        expect(r.stderr).toContain(`${flag} ${bad}: expected a whole number of machines, 1 or more`);
        expect(r.stdout).toBe("");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a bad --var is refused with exit 2", () => {
    const r = runCli([
      "plan",
      "test/fixtures/small.md",
      "-i",
      "test/fixtures/small-inventory.yaml",
      "--var",
      "novalue",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--var novalue: expected name=value");
  });

  test("--help documents the exit codes", () => {
    const r = runCli(["plan", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--inventory <file>");
    expect(r.stdout).toContain("4   refused");
  });
});

describe("runbook list", () => {
  test("lists runbooks with titles and leaves fragments out", () => {
    const r = runCli(["list", "test/fixtures"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("A small runbook");
    expect(r.stdout).toContain("has errors: run runbook check on it");
  });
});
