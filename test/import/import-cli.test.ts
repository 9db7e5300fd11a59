// `runbook import` as a user runs it: the runbook on stdout or in -o, what was inferred on stderr with
// the document's lines, and the result accepted by `runbook check` and `runbook plan`.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatFindings, importDocument } from "../../src/api.ts";
import { REPO, runCli } from "../cli/run-cli.ts";
import { SEED, SEED_ROLES } from "./seed-roles.ts";

const DIR = mkdtempSync(join(tmpdir(), "runbook-import-cli-"));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
const ROLES = SEED_ROLES;

describe("runbook import", () => {
  test("writes the runbook to -o and says, line by line, what it inferred and what it could not", () => {
    const out = join(DIR, "seed.runbook.md");
    const r = runCli(["import", SEED, "-o", out, ...ROLES]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`${SEED}:61: inferred: nohup … & became a background action`);
    expect(r.stderr).toContain(`${SEED}:20: not inferred: page-ref dan-ji-huan-jing.md`);
    expect(r.stderr).toMatch(/wrote .*seed\.runbook\.md: \d+ inferred, \d+ not inferred/);
    expect(readFileSync(out, "utf8")).toContain("```sh {on=broker-a background}");

    const checked = runCli(["check", out]);
    expect(checked.stderr).toBe("");
    expect(checked.code).toBe(0);
    const planned = runCli(["plan", out, "-i", "runbooks/inventories/example.yaml"]);
    expect(planned.code).toBe(0);
    expect(planned.stdout).toContain(
      "background · wait: a new line in ~/logs/rocketmqlogs/namesrv.log matching /The Name Server boot success/",
    );
  });

  test("without -o the runbook goes to stdout; a malformed --role is refused", () => {
    const r = runCli(["import", SEED]);
    expect(r.code).toBe(0);
    expect(r.stdout).toStartWith('---\ntitle: "RocketMQ集群搭建"');
    expect(r.stdout).toContain("on=machine-a");
    const bad = runCli(["import", SEED, "--role", "A"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("expected LABEL=role");
  });

  test("a document that cannot be read is an error, not a crash", () => {
    const r = runCli(["import", "no/such/doc.md"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot read no/such/doc.md");
  });

  test("the API does the same: importDocument gives the runbook and its findings, relative to cwd", () => {
    const r = importDocument("test/import/fixtures/readme-quick-start.md", {
      cwd: REPO,
      roles: ["host=app"],
    });
    expect(r.runbook).toContain("```sh {on=app}\ngit clone https://github.com/example/kvstore.git\n```");
    expect(formatFindings(r.findings, "readme.md")).toContain("readme.md:11: inferred: cd kvstore");
  });
});
