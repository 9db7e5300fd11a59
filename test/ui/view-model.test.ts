import { describe, expect, test } from "bun:test";
import { Asker } from "../../src/engine/ask.ts";
import type { EngineEvent } from "../../src/engine/events.ts";
import { initialRunState, reduceRun } from "../../src/engine/state.ts";
import { askingNow, type Question } from "../../src/ui/asking.ts";
import { DecisionBridge } from "../../src/ui/decision-bridge.ts";
import { RunStore } from "../../src/ui/run-store.ts";
import { runSummary } from "../../src/ui/run-summary.ts";
import { initialUiState, type UiState } from "../../src/ui/ui-state.ts";
import { buildView, displayStatus, hostList } from "../../src/ui/view-model.ts";
import { AT, hostFinished, output, runStarted, stepOk, stepStarted } from "./events.ts";
import { planOf, stepOf } from "./render-app.tsx";

const plan = planOf();
const check = stepOf(plan, "check");
const install = stepOf(plan, "install");
const wipe = stepOf(plan, "wipe");

function snapshotOf(events: EngineEvent[]) {
  const store = new RunStore(0);
  for (const e of events) store.push(e);
  store.flush();
  return store.getSnapshot();
}

/** The question on screen once the engine asked through a bridge (as the Asker does). */
function asking(make: (a: Asker) => unknown): Question {
  const b = new DecisionBridge("me");
  const store = new RunStore(0);
  make(new Asker(b, store.push, () => AT));
  store.flush();
  const q = askingNow(store.getSnapshot().run, plan, b);
  if (!q) throw new Error("no question");
  return q;
}

const view = (events: EngineEvent[], question?: Question, ui: UiState = initialUiState) =>
  buildView({ plan, snapshot: snapshotOf(events), question, ui, mode: "LIVE" });

describe("what the screen shows", () => {
  test("the step asked about is the current one, shown as awaiting a decision", () => {
    const v = view(
      [runStarted(plan), ...stepOk(check)],
      asking((b) => b.beforeStep(install)),
    );
    expect(v.current).toBe("install");
    expect(v.shown?.id).toBe("install");
    expect(v.statuses.get("install")).toBe("awaiting-decision");
    expect(v.statuses.get("check")).toBe("ok");
    expect(v.running).toBe(false);
    expect(v.stepsDone).toBe(1);
  });

  test("between steps the output is the last step's, on the machine picked if it ran there", () => {
    const events = [runStarted(plan), ...stepOk(install, ["done"])];
    const q = asking((b) => b.beforeStep(wipe));
    expect(view(events, q).output).toMatchObject({ stepId: "install", host: "a1", previous: true });
    expect(view(events, q, { ...initialUiState, host: "a2" }).output).toMatchObject({ host: "a2" });
    expect(view(events, q).rollbackTarget).toMatchObject({ step: { id: "install" }, host: "a1" });
  });

  test("once the next step starts, its own output replaces the last one's", () => {
    const v = view([runStarted(plan), ...stepOk(install, ["done"]), ...stepStarted(wipe)]);
    expect(v.output).toMatchObject({ stepId: "wipe", host: "d1", previous: false });
    expect(v.running).toBe(true);
  });

  test("browsing shows the browsed step's own output and makes it the rollback target", () => {
    const events = [runStarted(plan), ...stepOk(check), ...stepOk(install, ["x"])];
    const v = view(
      events,
      asking((b) => b.beforeStep(wipe)),
      { ...initialUiState, browsing: "check" },
    );
    expect(v.shown?.id).toBe("check");
    expect(v.output).toMatchObject({ stepId: "check", previous: false });
    expect(v.rollbackTarget?.step.id).toBe("check");
    expect(v.status.text).toBe('browsing step 1/3 (nothing runs) · Esc back to step 3/3 "Wipe the data"');
  });

  test("a failed machine is selected first", () => {
    const v = view([
      runStarted(plan),
      ...stepStarted(install),
      hostFinished(install, "a1", "ok", 0),
      output(install, "a2", "no\n", "stderr"),
      hostFinished(install, "a2", "failed", 2),
    ]);
    expect(v.host).toBe("a2");
    expect(v.statuses.get("install")).toBe("failed");
  });

  test("a step rolled back on some machine shows as rolled back", () => {
    let run = reduceRun(initialRunState, runStarted(plan));
    for (const e of stepOk(install)) run = reduceRun(run, e);
    run = reduceRun(run, { type: "rollback-finished", at: AT, stepId: "install", host: "a1", ok: true });
    expect(displayStatus(run, "install")).toBe("rolled-back");
  });

  test("the status line says what the run waits for", () => {
    expect(
      view(
        [runStarted(plan)],
        asking((b) => b.afterFailure(install, ["a1", "a2"])),
      ).status,
    ).toEqual({
      text: 'step 2/3 "Install the app" failed on a1, a2',
      tone: "danger",
    });
    expect(view([]).status.text).toBe("connecting to the machines…");
    expect(view([runStarted(plan), ...stepStarted(check)]).status.text).toBe(
      'running step 1/3 "Check the machines" · 0/3 machines done',
    );
  });

  test("hostList shortens long lists", () => {
    expect(hostList(["a", "b"])).toBe("a, b");
    expect(hostList(["a", "b", "c", "d", "e", "f"])).toBe("a, b, c, d +2");
    expect(hostList([])).toBe("no machine");
  });
});

describe("the summary left in the terminal", () => {
  test("commands the operator stopped are said to be stopped, not failed", () => {
    const events: EngineEvent[] = [
      runStarted(plan),
      ...stepStarted(check),
      ...["a1", "a2", "d1"].map(
        (h): EngineEvent => ({
          type: "host-finished",
          at: AT,
          stepId: "check",
          host: h,
          status: "failed",
          exitCode: null,
          durationMs: 10,
          error: "stopped by the operator",
          stopped: true,
        }),
      ),
      { type: "run-finished", at: AT, status: "aborted", failedStep: "check" },
    ];
    const run = events.reduce(reduceRun, initialRunState);
    expect(runSummary(plan, run).split("\n").slice(0, 2)).toEqual([
      "runbook: Deploy the demo · stopped",
      "  ✗ 1/3 Check the machines (stopped while running on a1, a2, d1)",
    ]);
  });

  test("one line per step with its outcome", () => {
    const events: EngineEvent[] = [
      runStarted(plan),
      ...stepOk(check),
      ...stepStarted(install),
      {
        ...(hostFinished(install, "a1", "failed", 3) as Extract<EngineEvent, { type: "host-finished" }>),
        tail: ["cp: cannot create regular file '/opt/app': Permission denied"],
      },
      hostFinished(install, "a2", "ok", 0),
      { type: "step-finished", at: AT, stepId: "install", status: "failed" },
      {
        type: "decision",
        at: AT,
        stepId: "wipe",
        decision: { kind: "skip", reason: "not tonight" },
        by: "me",
      },
      { type: "run-finished", at: AT, status: "failed", failedStep: "install" },
    ];
    const run = events.reduce(reduceRun, initialRunState);
    expect(runSummary(plan, run)).toBe(
      [
        "runbook: Deploy the demo · failed",
        "  ✓ 1/3 Check the machines",
        "  ✗ 2/3 Install the app (failed on a1 exit 3)",
        "      a1:",
        "        cp: cannot create regular file '/opt/app': Permission denied",
        "  ↷ 3/3 Wipe the data (skipped: not tonight)",
        "  run 20260101-100000-demo",
        "",
      ].join("\n"),
    );
  });
});
