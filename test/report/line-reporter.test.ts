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

test("a rollout's gate says where it starts, after each batch: its lines are not taken for the step's", () => {
  const writes: string[] = [];
  const report = lineReporter((t) => writes.push(t), makeStyle(false));
  report({
    type: "run-started",
    at: AT,
    runId: "r",
    title: "Roll",
    planHash: "0123456789abcdef0123",
    steps: [
      { id: "restart", title: "Restart" },
      { id: "ready", title: "It is back" },
    ],
  } as Parameters<typeof report>[0]);
  writes.length = 0;
  report({ type: "step-started", at: AT, stepId: "restart", hosts: ["m1", "m2"] });
  for (const host of ["m1", "m2"]) {
    report({
      type: "batch-started",
      at: AT,
      stepId: "restart",
      batch: host === "m1" ? 1 : 2,
      of: 2,
      hosts: [host],
    });
    report({ type: "host-status", at: AT, stepId: "restart", host, status: "running" });
    report({
      type: "host-finished",
      at: AT,
      stepId: "restart",
      host,
      status: "ok",
      exitCode: 0,
      durationMs: 1000,
    });
    report({ type: "host-status", at: AT, stepId: "ready", host, status: "running" });
    report({ type: "host-status", at: AT, stepId: "ready", host, status: "running" });
    report({
      type: "host-finished",
      at: AT,
      stepId: "ready",
      host,
      status: "ok",
      exitCode: 0,
      durationMs: 500,
    });
  }
  expect(writes).toEqual([
    "==> [1/2] Restart #restart on m1, m2\n",
    "--- batch 1/2 on m1\n",
    "    m1: ok (1.0s)\n",
    "--- gate [2/2] It is back #ready\n",
    "    m1: ok (0.5s)\n",
    "--- batch 2/2 on m2\n",
    "    m2: ok (1.0s)\n",
    "--- gate [2/2] It is back #ready\n",
    "    m2: ok (0.5s)\n",
  ]);
});
