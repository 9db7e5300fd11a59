import { expect, test } from "bun:test";
import { lineReporter } from "../../src/report/line-reporter.ts";
import { makeStyle } from "../../src/report/style.ts";

const AT = "2026-01-01T10:00:00.000Z";

test("output: every line prefixed with its machine, stderr marked, one write per chunk", () => {
  const writes: string[] = [];
  const report = lineReporter((t) => writes.push(t), makeStyle(false));
  report({ type: "output", at: AT, stepId: "s", host: "m1", stream: "stdout", text: "one\ntwo\n\nthree\n" });
  report({ type: "output", at: AT, stepId: "s", host: "m2", stream: "stderr", text: "oops" });
  expect(writes).toEqual(["    m1 | one\n    m1 | two\n    m1 | \n    m1 | three\n", "    m2 ! oops\n"]);
});

test("the end of a run with failed keep-going checks lists them", () => {
  const writes: string[] = [];
  const report = lineReporter((t) => writes.push(t), makeStyle(false));
  report({ type: "step-finished", at: AT, stepId: "disk", status: "failed", goesOn: true });
  report({
    type: "run-finished",
    at: AT,
    status: "failed",
    failedStep: "disk",
    failedChecks: ["disk", "lag"],
  });
  expect(writes).toEqual([
    "    step disk: failed (a keep-going check: the run goes on and reports it at the end)\n",
    "run finished: failed: 2 checks failed: disk, lag\n",
  ]);
});
