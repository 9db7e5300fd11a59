import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { cleanup } from "ink-testing-library";
import type { Decision, EngineEvent } from "../../src/engine/events.ts";
import { RunStore } from "../../src/ui/run-store.ts";
import { AT, hostFinished, output, runStarted, stepOk, stepStarted } from "./events.ts";
import { KEYS, planOf, renderApp, stepOf, UI_INVENTORY } from "./render-app.tsx";

// Screens are polled for, not waited for by the clock: generous on a loaded machine, quick otherwise.
setDefaultTimeout(30_000);

// One screen state per test, at 80x24 unless said otherwise: what the operator sees and what each key does.

afterEach(() => cleanup());

const plan = planOf();
const check = stepOf(plan, "check");
const install = stepOf(plan, "install");
const wipe = stepOf(plan, "wipe");

function push(app: { store: RunStore }, events: EngineEvent[]) {
  for (const e of events) app.store.push(e);
  app.store.flush();
}

/** Rows of the output pane's text (between its title and the rollback box). */
function outputRows(frame: string): number {
  const rows = frame.split("\n");
  const top = rows.findIndex((r) => r.includes("── output"));
  const bottom = rows.findIndex((r) => r.includes("── rollback"));
  return bottom - top - 1;
}

describe("the screen", () => {
  test("before the first step: header, step list, card, machines, output, rollback and keys fill 80x24 exactly", async () => {
    const app = renderApp(plan);
    push(app, [runStarted(plan)]);
    const answer = app.ask.beforeStep(check);
    const f = await app.waitFor("Enter runs it");
    const rows = f.split("\n");
    expect(rows).toHaveLength(24);
    for (const r of rows) expect(r.length).toBeLessThanOrEqual(80);
    expect(rows[0]).toMatch(/^Deploy the demo +LIVE {2}00:00$/);
    expect(rows[1]).toContain("steps 0/3 · this step 0/3 machines · inventory inv/ui.yaml");
    expect(rows[2]).toBe('next: step 1/3 "Check the machines" [read] on a1, a2, d1 · Enter runs it');
    expect(f).toContain("1/3 Check the machines [read]");
    expect(f).toContain("Reads the kernel version on every machine.");
    expect(f).toContain("$ uname -r; echo hello");
    expect(f).toMatch(/›\? Check the machines/);
    expect(f).toMatch(/▸· a1 +pending/);
    expect(f).toContain("a1, a2, d1: (no rollback)");
    expect(rows[23]).toMatch(/^Enter run · s skip · b\/B roll back .* \? help$/);
    await app.press(KEYS.enter);
    expect(await answer).toEqual({ kind: "run" });
  });

  test("a running step: the selected machine's output follows the tail, stderr is marked, Tab changes machine", async () => {
    const app = renderApp(plan);
    push(app, [runStarted(plan), ...stepOk(check), ...stepStarted(install)]);
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`);
    push(app, [
      output(install, "a1", `${lines.join("\n")}\n`),
      output(install, "a1", "disk almost full\n", "stderr"),
      output(install, "a2", "hello from a2\n"),
      hostFinished(install, "a2", "ok", 0, 2500),
    ]);
    const f = await app.waitFor("! disk almost full");
    expect(f.split("\n")[2]).toBe('running step 2/3 "Install the app" · 1/2 machines done');
    expect(f).toContain("line 40");
    expect(f).not.toContain("line 1\n");
    expect(f).toMatch(/▸▶ a1 +running/);
    expect(f).toMatch(/✓ a2 +ok +2\.5s exit 0/);
    expect(f).toContain("── output of a1 ──");
    expect(f.split("\n")[23]).toMatch(/q quit \(asks first\)/);
    await app.press(KEYS.tab);
    const f2 = await app.waitFor("── output of a2 ──");
    expect(f2).toContain("hello from a2");
    expect(f2).not.toContain("line 40");
  });

  test("PgUp scrolls the output back, End follows the tail again", async () => {
    const app = renderApp(plan);
    const lines = Array.from({ length: 60 }, (_, i) => `row ${i + 1}`);
    push(app, [runStarted(plan), ...stepStarted(check), output(check, "a1", `${lines.join("\n")}\n`)]);
    await app.waitFor("row 60");
    await app.press(KEYS.pageUp);
    const back = await app.waitFor("lines back, End follows");
    expect(back).not.toContain("row 60");
    expect(back).toMatch(/row 5\d/);
    await app.press("\x1b[F");
    const end = await app.waitFor((f) => f.includes("row 60") && !f.includes("lines back"));
    expect(end).toContain("── output of a1 ──");
  });

  test("between steps the last step's output stays on screen under the next step's card", async () => {
    const app = renderApp(plan);
    push(app, [runStarted(plan), ...stepOk(check), ...stepOk(install, ["installed v2", "restarted"])]);
    app.ask.beforeStep(wipe);
    const f = await app.waitFor("3/3 Wipe the data");
    expect(f).toContain("── output of a1 from 2/3 Install the app");
    expect(f).toContain("installed v2");
    expect(f).toMatch(/▸· d1 +pending/);
    push(app, stepStarted(wipe));
    const g = await app.waitFor("── output of d1 ──");
    expect(g).toContain("(no output yet)");
    expect(g).not.toContain("installed v2");
  });

  test("a failure: a box with the choices takes the card's rows; the output pane keeps its size; r retries", async () => {
    const app = renderApp(plan);
    push(app, [runStarted(plan), ...stepOk(check), ...stepStarted(install)]);
    push(app, [
      output(install, "a1", "cannot write ~/marker\n", "stderr"),
      hostFinished(install, "a1", "failed", 3),
    ]);
    const before = outputRows(await app.waitFor("cannot write"));
    push(app, [hostFinished(install, "a2", "ok", 0)]);
    const answer = app.ask.afterFailure(install, ["a1"]);
    const f = await app.waitFor("step 2/3 failed on a1");
    expect(f.split("\n")[2]).toBe('step 2/3 "Install the app" failed on a1');
    expect(f).toContain("r retry there · s skip on · x stop");
    expect(f).toContain("b roll back this machine · B all, then stop");
    expect(f).toMatch(/▸✗ a1 +failed +1\.2s exit 3/);
    expect(f).toContain("! cannot write ~/marker");
    expect(outputRows(f)).toBe(before);
    expect(f.split("\n")).toHaveLength(24);
    await app.press("r");
    expect(await answer).toEqual({ kind: "retry" });
    // Running again, a1 no longer shows its last exit code.
    push(app, [{ type: "host-status", at: AT, stepId: "install", host: "a1", status: "running" }]);
    const g = await app.waitFor(/▸▶ a1 +running/.test.bind(/▸▶ a1 +running/));
    // It shows how long it has been running, and no longer its last exit code.
    expect(g).toMatch(/▸▶ a1 +running +0:00 *\n/);
    expect(g).toContain("── run again");
  });

  test("after a failure b rolls back the selected machine, B every machine (which stops the run); x stops it as it is", async () => {
    const app = renderApp(plan);
    push(app, [runStarted(plan), ...stepStarted(install), hostFinished(install, "a1", "failed", 1)]);
    let answer = app.ask.afterFailure(install, ["a1"]);
    await app.waitFor("failed on a1");
    await app.press("b");
    const one = await app.waitFor('Roll back "Install the app" on a1?');
    expect(one).toContain("y roll back · n cancel");
    await app.press("y");
    expect(await answer).toEqual({ kind: "rollback", hosts: ["a1"] });
    answer = app.ask.afterFailure(install, ["a1"]);
    await app.waitFor("failed on a1");
    await app.press("B");
    const f = await app.waitFor('Roll back "Install the app" on every machine?');
    expect(f).toContain("y roll back all, then stop · n cancel");
    await app.press("y");
    expect(await answer).toEqual({ kind: "rollback" });
    answer = app.ask.afterFailure(install, ["a1"]);
    await app.settle();
    await app.press("x");
    expect(await answer).toEqual({ kind: "abort" });
  });

  test("a turns auto-run of read-only steps on: the waiting read step runs, the footer says so", async () => {
    const app = renderApp(plan);
    push(app, [runStarted(plan)]);
    const answer = app.ask.beforeStep(check);
    expect((await app.waitFor("Enter runs it")).split("\n")[0]).not.toContain("auto-read on");
    await app.press("a");
    expect(await answer).toEqual({ kind: "run" });
    app.ask.beforeStep(install);
    const f = await app.waitFor("next: step 2/3");
    expect(f.split("\n")[0]).toMatch(/auto-read on · {2}LIVE {2}00:00$/);
  });

  test("skip asks for a reason, refuses an empty one, and answers with it", async () => {
    const app = renderApp(plan);
    push(app, [runStarted(plan), ...stepOk(check)]);
    const answer = app.ask.beforeStep(install);
    await app.waitFor("Enter runs it");
    await app.press("s");
    await app.waitFor("Skip step 2/3: why?");
    await app.press(KEYS.enter);
    await app.waitFor("a reason is needed");
    await app.press("n", "o", "t", " ", "t", "o", "d", "a", "y");
    expect(await app.waitFor("> not today█")).toContain("The reason is journaled with your name.");
    await app.press(KEYS.enter);
    expect(await answer).toEqual({ kind: "skip", reason: "not today" });
  });

  test("a destructive step: the box opens by itself; a wrong word goes to the engine, which asks again", async () => {
    const app = renderApp(plan);
    push(app, [runStarted(plan), ...stepOk(check), ...stepOk(install)]);
    const first = app.ask.confirmWord(wipe, 1);
    const f = await app.waitFor('Destructive: type "wipe-it" to run it');
    expect(f.split("\n")[2]).toBe('step 3/3 "Wipe the data" is destructive: type its word to run it');
    expect(f).toContain('step 3/3 "Wipe the data" on d1.');
    expect(f).not.toContain("not the word");
    await app.press("wipe\r");
    // The engine journals the wrong attempt and asks again: the box says so.
    expect(await first).toBe("wipe");
    const second = app.ask.confirmWord(wipe, 2);
    await app.waitFor("> █  that was not the word (attempt 2 of 3)");
    await app.press("wipe-it\r");
    expect(await second).toBe("wipe-it");
  });

  test("Esc backs out of the typed word: nothing runs", async () => {
    const app = renderApp(plan);
    push(app, [runStarted(plan)]);
    const word = app.ask.confirmWord(wipe, 1);
    await app.waitFor("Destructive");
    await app.press("wip", KEYS.escape);
    expect(await word).toBeUndefined();
  });

  test("b rolls back the last step run on the selected machine, B on all, after a y", async () => {
    const app = renderApp(plan);
    push(app, [runStarted(plan), ...stepOk(check), ...stepOk(install, ["done"])]);
    let answer = app.ask.beforeStep(wipe);
    await app.waitFor("from 2/3 Install the app");
    await app.press("b");
    const f = await app.waitFor('Roll back "Install the app" on a1?');
    expect(f).toContain("runs: rm -f ~/marker");
    expect(f.split("\n")[23]).toMatch(/^y roll back · n cancel/);
    await app.press("y");
    expect(await answer).toEqual({ kind: "rollback", stepId: "install", hosts: ["a1"] } as Decision);
    answer = app.ask.beforeStep(wipe);
    await app.settle();
    await app.press("B");
    await app.waitFor('Roll back "Install the app" on every machine?');
    await app.press("n");
    await app.waitFor((x) => !x.includes("Roll back"));
    await app.press("B", "y");
    expect(await answer).toEqual({ kind: "rollback", stepId: "install", hosts: undefined });
  });

  test("b with nothing run yet says so instead of asking", async () => {
    const app = renderApp(plan);
    push(app, [runStarted(plan)]);
    app.ask.beforeStep(check);
    await app.waitFor("Enter runs it");
    await app.press("b");
    expect((await app.waitFor("nothing to roll back")).split("\n")[2]).toBe(
      "nothing to roll back here: ↑ to a step that ran, then b",
    );
  });

  test("↑ browses an earlier step without running it; Enter first comes back to the waiting step", async () => {
    const app = renderApp(plan);
    push(app, [runStarted(plan), ...stepOk(check, ["5.10.0"])]);
    const answer = app.ask.beforeStep(install);
    await app.waitFor("next: step 2/3");
    await app.press(KEYS.up);
    const f = await app.waitFor("browsing step 1/3");
    expect(f.split("\n")[2]).toBe(
      'browsing step 1/3 (nothing runs) · Esc back to step 2/3 "Install the app"',
    );
    expect(f).toContain("1/3 Check the machines [read]");
    expect(f).toContain("5.10.0");
    expect(f.split("\n")[23]).toMatch(/^Esc back · b\/B roll back this step/);
    await app.press(KEYS.enter);
    await app.waitFor("back at step 2/3, which waits for you");
    let settled = false;
    answer.then(() => {
      settled = true;
    });
    await app.press("x");
    expect(settled).toBe(false);
    await app.press(KEYS.enter);
    expect(await answer).toEqual({ kind: "run" });
  });

  test("? shows the keys; any key closes the help", async () => {
    const app = renderApp(plan);
    push(app, [runStarted(plan)]);
    app.ask.beforeStep(check);
    await app.waitFor("Enter runs it");
    await app.press("?");
    const f = await app.waitFor("Keys");
    expect(f).toContain("s           skip it (asks for a reason, which is journaled)");
    expect(f).toContain("q           quit; asks first while something runs; the run");
    expect(f.split("\n")).toHaveLength(24);
    await app.press("z");
    await app.waitFor((x) => !x.includes("any key closes the help"));
  });

  test("q between steps quits at once: the question is answered abort and the run is stopped", async () => {
    const app = renderApp(plan);
    push(app, [runStarted(plan)]);
    const answer = app.ask.beforeStep(check);
    await app.waitFor("Enter runs it");
    await app.press("q");
    expect(await answer).toEqual({ kind: "abort" });
    expect(app.quits).toBe(1);
  });

  test("q while a step runs asks first: n stays, y stops the run", async () => {
    const app = renderApp(plan);
    push(app, [runStarted(plan), ...stepStarted(check)]);
    await app.waitFor("running step 1/3");
    await app.press("q");
    const f = await app.waitFor("Quit while it runs?");
    expect(f).toContain("Running commands stop; the run stays resumable.");
    await app.press("n");
    await app.waitFor((x) => !x.includes("Quit while it runs?"));
    expect(app.quits).toBe(0);
    await app.press("q", "y");
    expect(app.quits).toBe(1);
  });

  test("an unknown host key: its fingerprint in a box; y accepts it", async () => {
    const app = renderApp(plan);
    const accept = app.ask.hostKey({
      kind: "host-key",
      host: "a1",
      address: "127.0.0.2",
      port: 2222,
      keyType: "ssh-ed25519",
      fingerprint: "SHA256:Jx1g0sTqR0m3wV4w9o5gS8xv2Yb0nq3a6v8f7Q0Zk1E",
    });
    const f = await app.waitFor("Unknown host key");
    expect(f).toContain("a1 (127.0.0.2:2222) is not in known_hosts.");
    expect(f).toContain("SHA256:Jx1g0sTqR0m3wV4w9o5gS8xv2Yb0nq3a6v8f7Q0Zk1E");
    expect(f.split("\n")[2]).toBe("unknown host key for a1: compare the fingerprint");
    expect(f.split("\n")[23]).toMatch(/^y yes · n no/);
    await app.press("y");
    expect(await accept).toBe(true);
  });

  test("an unknown host key of a bastion says which machine it is on the way to", async () => {
    const app = renderApp(plan);
    const refuse = app.ask.hostKey({
      kind: "host-key",
      host: "bastion1",
      address: "127.0.0.5",
      port: 22,
      keyType: "ssh-ed25519",
      fingerprint: "SHA256:Jx1g0sTqR0m3wV4w9o5gS8xv2Yb0nq3a6v8f7Q0Zk1E",
      bastionFor: "a1",
    });
    const f = await app.waitFor("Unknown host key");
    expect(f).toContain("bastion1 (127.0.0.5:22) is not in known_hosts.");
    expect(f).toContain("It is a bastion (jump host) on the way to a1.");
    expect(f.split("\n")[23]).toMatch(/^y yes · n no/);
    await app.press("n");
    expect(await refuse).toBe(false);
  });

  test("machines in an unknown state on resume: r runs the step again there", async () => {
    const app = renderApp(plan, { mode: "RESUMED" });
    push(app, [runStarted(plan, true)]);
    const answer = app.ask.resolveUnknown(install, "a2", { kind: "gone", pid: 4242 });
    const f = await app.waitFor("State unknown");
    expect(f).toContain("may or may not have run on a2");
    expect(f).toContain("not running any more (it was process group 4242)");
    expect(f.split("\n")[0]).toContain("RESUMED");
    await app.press("r");
    expect(await answer).toBe("rerun");
  });

  test("a command still running on the machine is never run again from the UI: r does nothing there", async () => {
    const app = renderApp(plan, { mode: "RESUMED" });
    push(app, [runStarted(plan, true)]);
    const answer = app.ask.resolveUnknown(install, "a2", { kind: "running", pid: 4243 });
    const f = await app.waitFor("State unknown");
    expect(f).toContain("still running there (process group 4243)");
    expect(f).toContain("It is not run again while it may still be running");
    expect(f).not.toContain("r run it again");
    await app.press("r");
    await app.press("x");
    expect(await answer).toBe("abort");
  });

  test("on a stop, completed steps with a rollback are offered newest first", async () => {
    const app = renderApp(plan);
    push(app, [runStarted(plan), ...stepOk(check), ...stepOk(install)]);
    const chosen = app.ask.rollbackOnAbort([install, check]);
    const f = await app.waitFor("Roll back?");
    expect(f).toContain("step 2/3 Install the app");
    expect(f).not.toContain("step 1/3 Check the machines");
    await app.press("n");
    expect(await chosen).toEqual([]);
  });

  test("a secret is typed masked", async () => {
    const app = renderApp(plan);
    const value = app.ask.secret("token");
    await app.waitFor("Secret token: never shown, journaled or saved.");
    await app.press("h", "u", "n", "t", "e", "r", "2");
    const f = await app.waitFor("> •••••••█");
    expect(f).not.toContain("hunter2");
    await app.press(KEYS.enter);
    expect(await value).toBe("hunter2");
  });

  test("the sudo password for become: is typed masked, once, saying for whom and where", async () => {
    const app = renderApp(plan);
    const value = app.ask.becomePassword({
      kind: "become-password",
      hosts: ["app1"],
      users: ["rocketmq"],
      attempt: 1,
    });
    await app.waitFor("sudo password, to run commands as rocketmq on app1:");
    await app.press("p", "w", "1", "2");
    const f = await app.waitFor("> ••••█");
    expect(f).not.toContain("pw12");
    await app.press(KEYS.enter);
    expect(await value).toBe("pw12");
  });

  test("the end of the run: the outcome in the status line, q closes", async () => {
    const app = renderApp(plan);
    push(app, [
      runStarted(plan),
      ...stepOk(check),
      ...stepOk(install),
      { type: "decision", at: AT, stepId: "wipe", decision: { kind: "skip", reason: "later" }, by: "t" },
      { type: "run-finished", at: AT, status: "ok" },
    ]);
    const f = await app.waitFor("run finished ok");
    expect(f.split("\n")[2]).toBe("run finished ok: 3/3 steps done, 1 skipped");
    expect(f).toMatch(/↷ Wipe the data/);
    expect(f.split("\n")[23]).toMatch(/^q quit/);
  });

  test("a run that reached its end with failed keep-going checks lists them; they count as passed by", async () => {
    const checks = structuredClone(plan);
    const first = checks.phases[0]?.steps.find((st) => st.id === "check");
    if (first) first.keepGoing = true;
    const app = renderApp(checks);
    push(app, [
      runStarted(checks),
      ...stepStarted(check),
      hostFinished(check, "a1", "failed", 1),
      { type: "step-finished", at: AT, stepId: "check", status: "failed", goesOn: true },
      ...stepOk(install),
      ...stepOk(wipe),
      { type: "run-finished", at: AT, status: "failed", failedStep: "check", failedChecks: ["check"] },
    ]);
    const f = await app.waitFor("check failed");
    expect(f.split("\n")[2]).toBe("run finished, 1 check failed: step 1/3 · q quits, prints how to resume");
    expect(f.split("\n")[1]).toContain("steps 3/3");
    expect(f).toContain("[read, keep-going]");
  });

  test("a waiting machine shows how long it has waited against its timeout; the header ends with the outcome", async () => {
    const app = renderApp(plan, { now: () => Date.parse(AT) + 42_000 });
    push(app, [
      runStarted(plan),
      { type: "decision", at: AT, stepId: "check", decision: { kind: "run" }, by: "t" },
      { type: "step-started", at: AT, stepId: "check", hosts: ["a1", "a2", "d1"] },
      {
        type: "host-status",
        at: AT,
        stepId: "check",
        host: "a1",
        status: "waiting",
        detail: "/boot success/ in ~/logs/app.log",
        timeoutMs: 180_000,
      },
    ]);
    const f = await app.waitFor("waiting");
    expect(f).toMatch(/▸… a1 +waiting +0:42\/3:00 +\/boot success\/ …/);
    push(app, [
      { type: "run-finished", at: AT, status: "empty", reason: "nothing ran: every step was skipped" },
    ]);
    const g = await app.waitFor("NOTHING RAN");
    expect(g.split("\n")[0]).toMatch(/NOTHING RAN/);
    expect(g.split("\n")[0]).not.toContain("LIVE");
    expect(g).toContain("run finished: nothing ran: every step was skipped");
  });

  test("machines whose command the operator stopped show as stopped, not failed", async () => {
    const app = renderApp(plan);
    push(app, [
      runStarted(plan),
      ...stepStarted(check),
      ...check.targets.map(
        (t): EngineEvent => ({
          type: "host-finished",
          at: AT,
          stepId: "check",
          host: t.host,
          status: "failed",
          exitCode: null,
          durationMs: 2100,
          error: "stopped by the operator",
          stopped: true,
        }),
      ),
      { type: "run-finished", at: AT, status: "aborted", failedStep: "check" },
    ]);
    const f = await app.waitFor("run stopped");
    expect(f).toMatch(/▸✗ a1 +stopped +2\.1s *\n/);
    expect(f).not.toContain("cancelled");
  });

  test("a stopped run says how to resume it", async () => {
    const app = renderApp(plan);
    push(app, [
      runStarted(plan),
      ...stepOk(check),
      { type: "decision", at: AT, stepId: "install", decision: { kind: "abort" }, by: "t" },
      { type: "run-finished", at: AT, status: "aborted", failedStep: "install" },
    ]);
    const f = await app.waitFor("run stopped");
    expect(f.split("\n")[2]).toBe("run stopped at step 2/3 · q quits, prints how to resume");
  });

  test("a resumed run shows the steps done before as done", async () => {
    // The store is built from the earlier run's events, as the engine's state is.
    const store = new RunStore(0, [runStarted(plan), ...stepOk(check)]);
    const app = renderApp(plan, { store, mode: "RESUMED" });
    push(app, [runStarted(plan, true)]);
    app.ask.beforeStep(install);
    const f = await app.waitFor("next: step 2/3");
    expect(f).toMatch(/✓ Check the machines/);
    expect(f).toContain("steps 1/3");
  });
});

describe("dry run", () => {
  const perMachine = planOf(
    undefined,
    UI_INVENTORY.replace(
      "a2: { transport: local, roles: [app] }",
      "a2: { transport: local, roles: [app], vars: { word: bonjour } }",
    ),
  );

  test("the whole plan is browsed per machine; nothing is asked", async () => {
    const app = renderApp(perMachine, { mode: "DRY RUN" });
    const f = await app.waitFor("DRY RUN");
    expect(f.split("\n")[2]).toBe("dry run: nothing runs here · ↑↓ browse the steps · Tab the machines");
    expect(f).toContain("$ uname -r; echo hello");
    await app.press(KEYS.tab);
    expect(await app.waitFor("on a2:")).toContain("$ uname -r; echo bonjour");
    await app.press(KEYS.down, KEYS.down);
    const g = await app.waitFor("3/3 Wipe the data [destructive]");
    expect(g).toContain("$ rm -rf ~/data");
    // Browsing, even in a dry run: Esc comes back, and the footer says so.
    expect(g.split("\n")[23]).toMatch(/^Esc back · q quit · i details · Tab machine · ↑↓ steps/);
    await app.press(KEYS.enter, "y", "s");
    expect(app.frame()).toContain("3/3 Wipe the data [destructive]");
  });
});

describe("the step card", () => {
  test("a step no machine matches keeps its title row, says why in one row, and the browsed step is marked", async () => {
    const rb = `---\ntitle: Skips\nroles: [app]\nvars:\n  mode: { default: a }\n---\n\n# P\n\n## First {#first}\n\n\`\`\`sh {on=app}\ntrue\n\`\`\`\n\n## Only in mode b {#only-b}\n\nSome prose.\n\n\`\`\`sh {on=app when="mode == 'b'"}\necho b\n\`\`\`\n`;
    const app = renderApp(planOf(rb), { mode: "DRY RUN" });
    await app.waitFor("1/2 First");
    await app.press(KEYS.down);
    const f = await app.waitFor("2/2 Only in mode b [change]");
    expect(f).toContain("skipped: no machine matches its on= and when=");
    expect(f).toMatch(/›· First/);
    expect(f).toMatch(/▸· Only in mode b/);
  });
});

describe("the step card when the commands do not fit", () => {
  test("each action shows its first line and its waits, rather than the whole first one", async () => {
    const long = Array.from({ length: 12 }, (_, i) => `echo check ${i + 1}`).join("\n");
    const rb = `---\ntitle: Start\nroles: [app]\n---\n\n# P\n\n## Start the server {#start}\n\nChecks, then starts.\n\n\`\`\`sh {on=app}\n${long}\n\`\`\`\n\n\`\`\`sh {on=app background wait-log="~/server.log" wait-for="started" timeout=90s}\n./server\n\`\`\`\n`;
    const app = renderApp(planOf(rb), { mode: "DRY RUN" });
    const f = await app.waitFor("1/1 Start the server");
    expect(f).toContain("$ echo check 1 …");
    expect(f).not.toContain("echo check 2");
    expect(f).toContain("$ ./server");
    expect(f).toContain("background · wait for /started/ in ~/server.log");
  });
});

describe("terminal sizes", () => {
  test("a larger terminal is filled to its size, and the card gets more rows", async () => {
    const app = renderApp(plan, {}, { columns: 120, rows: 40 });
    push(app, [runStarted(plan)]);
    app.ask.beforeStep(install);
    const f = await app.waitFor("Enter runs it");
    expect(f.split("\n")).toHaveLength(40);
    expect(f).toContain("warning: The app restarts.");
    expect(Math.max(...f.split("\n").map((r) => r.length))).toBeLessThanOrEqual(120);
  });

  test("the smallest supported terminal, 60x20, still shows every region", async () => {
    const app = renderApp(plan, {}, { columns: 60, rows: 20 });
    push(app, [runStarted(plan)]);
    app.ask.beforeStep(install);
    const f = await app.waitFor("next: step 2/3");
    const rows = f.split("\n");
    expect(rows).toHaveLength(20);
    expect(f).toContain("── output");
    expect(f).toContain("── rollback");
    expect(rows[19]).toContain("? help");
  });

  test("a terminal too small says so rather than drawing a broken screen", async () => {
    const app = renderApp(plan, {}, { columns: 50, rows: 15 });
    expect(await app.waitFor("needs a terminal")).toContain("at least 60x20; this one is 50x15");
  });
});
