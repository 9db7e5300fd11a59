// A GitBook page's front matter is readable: GitBook's own keys are warnings (description is the
// summary), while a runbook key written wrong stays an error with a suggestion.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunbookErrors } from "../../src/model/errors.ts";
import { runCli } from "../cli/run-cli.ts";
import { errorsOf, MAIN, md, parse, thrown } from "../helpers/fixtures.ts";

describe("GitBook keys in the front matter", () => {
  test("description is the summary and layout is passed over, each with a warning at its line", () => {
    const rb = parse(md`
      ---
      title: T
      description: From GitBook.
      layout: { width: wide }
      ---
      Intro.
    `);
    expect(rb.summary).toBe("From GitBook.");
    expect(rb.warnings).toEqual([
      {
        message: 'GitBook key "description" is not a runbook key: read as the summary',
        pos: { file: MAIN, line: 3, col: 1 },
      },
      { message: 'GitBook key "layout" is not a runbook key: ignored', pos: { file: MAIN, line: 4, col: 1 } },
    ]);
  });

  test("a summary written beside it wins; a runbook without GitBook keys has no warnings", () => {
    const rb = parse("---\ntitle: T\nsummary: mine\ndescription: theirs\n---\n");
    expect(rb.summary).toBe("mine");
    expect(parse("---\ntitle: T\n---\n").warnings).toBeUndefined();
  });

  test("runbook keys stay strict: a typo of vars is an error with a suggestion, the warnings travel with it", () => {
    const text = "---\ntitle: T\ndescription: d\nvarz: { a: 1 }\n---\n";
    const [e] = errorsOf(() => parse(text));
    expect(e?.code).toBe("unknown-key");
    expect(e?.message).toBe('unknown key "varz" in the front matter');
    expect(e?.hint).toBe('did you mean "vars"?');
    const all = thrown(() => parse(text)) as RunbookErrors;
    expect(all.warnings.map((w) => w.pos.line)).toEqual([3]);
  });

  test("runbook check on the seed no longer stops at description: a warning naming file:line", () => {
    const seed = "test/import/fixtures/rocketmq-cluster-modes.seed.md";
    const r = runCli(["check", seed]);
    expect(r.stderr).toContain(
      `${seed}:2:1: warning: GitBook key "description" is not a runbook key: read as the summary`,
    );
    expect(r.stderr).not.toContain('unknown key "description"');
  });

  test("runbook plan shows the warning and plans", () => {
    const dir = mkdtempSync(join(tmpdir(), "runbook-gitbook-"));
    try {
      const file = join(dir, "page.md");
      writeFileSync(
        file,
        "---\ntitle: T\ndescription: d\nroles: [db]\n---\n\n## Look\n\n```sh {on=db risk=read}\nls\n```\n",
      );
      const r = runCli(["plan", file, "-i", "test/fixtures/small-inventory.yaml"]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`${file}:3:1: warning: GitBook key "description"`);
      expect(r.stdout).toContain("Plan: T");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
