import { describe, expect, test } from "bun:test";
import { MAX_SCREEN_LINES, outputKey, RunStore } from "../../src/ui/run-store.ts";
import { AT, hostFinished, output, runStarted, stepOk, stepStarted } from "./events.ts";
import { planOf, stepOf } from "./render-app.tsx";

const plan = planOf();
const check = stepOf(plan, "check");
const install = stepOf(plan, "install");

const linesOf = (s: RunStore, step: string, host: string) =>
  (s.getSnapshot().output.get(outputKey(step, host)) ?? []).map((l) => `${l.stream}:${l.text}`);

describe("RunStore", () => {
  test("a machine printing as fast as it can is published at most once per interval", async () => {
    const store = new RunStore(40);
    let published = 0;
    store.subscribe(() => published++);
    store.push(runStarted(plan));
    for (const e of stepStarted(install)) store.push(e);
    const started = Date.now();
    let pushed = 0;
    // 150 ms of pushing without yielding: nothing is published meanwhile, then at most a few times.
    while (Date.now() - started < 150) {
      store.push(output(install, "a1", `line ${pushed++}\n`));
    }
    expect(published).toBe(0);
    await new Promise((r) => setTimeout(r, 120));
    expect(published).toBe(1);
    expect(linesOf(store, "install", "a1").at(-1)).toBe(`stdout:line ${pushed - 1}`);
    expect(linesOf(store, "install", "a1").length).toBe(Math.min(pushed, MAX_SCREEN_LINES));
  });

  test("a resumed run shows the earlier run's output, marked, and its last step's output stays on screen", () => {
    const earlier = [
      runStarted(plan),
      ...stepOk(check, ["checked"]),
      ...stepStarted(install),
      output(install, "a1", "installing\n"),
      output(install, "a1", "E: disk full\n", "stderr"),
      hostFinished(install, "a1", "failed", 100),
    ];
    const store = new RunStore(0, earlier);
    expect(store.getSnapshot().lastActive).toBe("install");
    expect(linesOf(store, "install", "a1")).toEqual([
      "stdout:installing",
      "stderr:E: disk full",
      "note:── until the earlier runner stopped ──",
    ]);
    expect(linesOf(store, "check", "a1")).toEqual([
      "stdout:checked",
      "note:── until the earlier runner stopped ──",
    ]);
    // Run again after the resume: marked as such below the earlier output.
    store.push(runStarted(plan, true));
    store.push({ type: "host-status", at: AT, stepId: "install", host: "a1", status: "running" });
    store.push(output(install, "a1", "installing again\n"));
    store.flush();
    expect(linesOf(store, "install", "a1").slice(2)).toEqual([
      "note:── until the earlier runner stopped ──",
      expect.stringMatching(/^note:── run again \(\d\d:\d\d:\d\d\) ──$/),
      "stdout:installing again",
    ]);
  });

  test("the end of a run and a refusal are published at once", () => {
    const store = new RunStore(10_000);
    store.push(runStarted(plan));
    store.push({ type: "refused", at: AT, host: "a1", reason: "lock held by x" });
    expect(store.getSnapshot().run.refusals.map((r) => r.reason)).toEqual(["lock held by x"]);
    store.push({ type: "run-finished", at: AT, status: "aborted", failedStep: "install" });
    expect(store.getSnapshot().run.finishedAt).toBeDefined();
    expect(store.getSnapshot().run.ended?.failedStep).toBe("install");
  });

  test("a line that arrives in pieces is completed in place; stdout and stderr stay apart", () => {
    const store = new RunStore(0);
    store.push(output(check, "a1", "down"));
    store.push(output(check, "a1", "warn: x\n", "stderr"));
    store.push(output(check, "a1", "loading 50%\rdownloading 100%\nnext\n"));
    store.flush();
    expect(linesOf(store, "check", "a1")).toEqual([
      "stdout:downloading 100%",
      "stderr:warn: x",
      "stdout:next",
    ]);
  });

  test("escape codes and control characters from a machine never reach the screen", () => {
    const store = new RunStore(0);
    store.push(output(check, "a1", "\x1b[31mred\x1b[0m\tcol\x07\x1b]0;title\x07\n"));
    store.flush();
    expect(linesOf(store, "check", "a1")).toEqual(["stdout:red     col"]);
  });

  test("only the last lines are kept for the screen", () => {
    const store = new RunStore(0);
    const text = Array.from({ length: MAX_SCREEN_LINES + 10 }, (_, i) => `l${i}`).join("\n");
    store.push(output(check, "a1", `${text}\n`));
    store.flush();
    const lines = linesOf(store, "check", "a1");
    expect(lines).toHaveLength(MAX_SCREEN_LINES);
    expect(lines[0]).toBe("stdout:l10");
  });

  test("a retry and a rollback are marked in the machine's output", () => {
    const store = new RunStore(0);
    store.push(runStarted(plan));
    for (const e of stepStarted(install)) store.push(e);
    store.push(output(install, "a1", "boom\n", "stderr"));
    store.push(hostFinished(install, "a1", "failed", 1));
    store.push({ type: "decision", at: AT, stepId: "install", decision: { kind: "retry" }, by: "me" });
    store.push({ type: "host-status", at: AT, stepId: "install", host: "a1", status: "running" });
    store.push(output(install, "a1", "ok now\n"));
    store.push({
      type: "decision",
      at: AT,
      stepId: "wipe",
      decision: { kind: "rollback", stepId: "install", hosts: ["a1"] },
      by: "me",
    });
    store.push({
      type: "rollback-finished",
      at: AT,
      stepId: "install",
      host: "a1",
      ok: false,
      error: "exit 2",
    });
    store.flush();
    const lines = linesOf(store, "install", "a1");
    expect(lines[0]).toBe("stderr:boom");
    expect(lines[1]).toMatch(/^note:── run again \(\d\d:\d\d:\d\d\) ──$/);
    expect(lines[2]).toBe("stdout:ok now");
    expect(lines[3]).toMatch(/^note:── rollback by me/);
    expect(lines[4]).toBe("note:── rollback failed: exit 2 ──");
    expect(linesOf(store, "install", "a2")).toEqual([]);
    expect(store.getSnapshot().lastActive).toBe("install");
  });

  test("a retry is marked once, however many running statuses the engine sends for it", () => {
    const store = new RunStore(0);
    store.push(runStarted(plan));
    for (const e of stepStarted(install)) store.push(e);
    const running = (detail?: string, timeoutMs?: number) =>
      store.push({
        type: "host-status",
        at: AT,
        stepId: "install",
        host: "a1",
        status: "running",
        ...(detail ? { detail } : {}),
        ...(timeoutMs ? { timeoutMs } : {}),
      });
    // As the engine sends them: the machine starts the step, then its command starts with its timeout.
    running();
    running(undefined, 600_000);
    store.push(output(install, "a1", "boom\n", "stderr"));
    // The action's own retry says so, then its command starts again.
    running("retry 1 of 2 in 2s");
    running(undefined, 600_000);
    store.push(output(install, "a1", "boom again\n", "stderr"));
    store.push(hostFinished(install, "a1", "failed", 100));
    // The operator's retry (r).
    running();
    running(undefined, 600_000);
    store.push(output(install, "a1", "ok now\n"));
    store.flush();
    const lines = linesOf(store, "install", "a1");
    expect(lines.map((l) => l.replace(/\(\d\d:\d\d:\d\d\)/, "(T)"))).toEqual([
      "stderr:boom",
      "note:── retry 1 of 2 in 2s (T) ──",
      "stderr:boom again",
      "note:── run again (T) ──",
      "stdout:ok now",
    ]);
  });

  test("the step that last ran is remembered, so its output can stay on screen", () => {
    const store = new RunStore(0);
    store.push(runStarted(plan));
    for (const e of stepOk(check, ["x"])) store.push(e);
    store.flush();
    expect(store.getSnapshot().lastActive).toBe("check");
  });

  test("a resumed run starts from the journal's state: steps done before are done", () => {
    const store = new RunStore(0, [runStarted(plan), ...stepOk(check)]);
    expect(store.getSnapshot().run.steps.check?.status).toBe("ok");
    store.push(runStarted(plan, true));
    store.flush();
    expect(store.getSnapshot().run.steps.check?.status).toBe("ok");
    expect(store.getSnapshot().run.steps.install?.status).toBe("pending");
  });
});
