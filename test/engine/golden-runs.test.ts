import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lineReporter } from "../../src/report/line-reporter.ts";
import { makeStyle } from "../../src/report/style.ts";
import { makeRun, normalized, normalizedLines, type RunKind } from "../helpers/run-kinds.ts";

/**
 * What an operator reads of a few runs, as files: the event stream (what --json prints and the journal
 * holds) and the plain lines of a headless run. A change in either shows up here as a diff to review;
 * regenerate on purpose with UPDATE_GOLDEN=1 bun test test/engine/golden-runs.test.ts.
 */
const GOLDEN: RunKind[] = ["ok", "failure-then-retry", "rollback", "resumed"];

function compare(file: string, text: string): void {
  const path = join(import.meta.dir, "golden", file);
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, text);
  expect(existsSync(path)).toBe(true);
  expect(text).toBe(readFileSync(path, "utf8"));
}

describe("golden runs", () => {
  for (const kind of GOLDEN) {
    test(`${kind}: its event stream and its plain lines`, async () => {
      const made = await makeRun(kind);
      try {
        compare(`${kind}.events.jsonl`, normalized(made.events, made.dir));
        let lines = "";
        const report = lineReporter((t) => {
          lines += t;
        }, makeStyle(false));
        for (const e of made.events) report(e);
        compare(`${kind}.lines.txt`, normalizedLines(lines, made.dir));
      } finally {
        made.cleanup();
      }
    });
  }
});
