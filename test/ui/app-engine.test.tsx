import { afterAll, afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanup } from "ink-testing-library";
import type { EngineEvent } from "../../src/engine/events.ts";
import { runPlan } from "../../src/engine/run-plan.ts";
import { LocalTransport } from "../../src/transport/local-transport.ts";
import { KEYS, planOf, renderApp } from "./render-app.tsx";

// Screens are polled for, not waited for by the clock: generous on a loaded machine, quick otherwise.
setDefaultTimeout(30_000);

// The UI driving the real engine on this machine (local transport): keys become decisions, the engine
// runs real commands, and what they print reaches the screen.

const root = mkdtempSync(join(tmpdir(), "runbook-ui-engine-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => cleanup());

const INVENTORY =
  "hosts:\n  m1: { transport: local, roles: [app] }\n  m2: { transport: local, roles: [app] }\n";

function start(name: string, body: string) {
  const dir = join(root, name);
  const plan = planOf(`---\ntitle: ${name}\nroles: [app]\n---\n\n# Phase\n\n${body}`, INVENTORY);
  const app = renderApp(plan);
  const events: EngineEvent[] = [];
  const result = runPlan({
    plan,
    runId: name,
    connect: async (h) => {
      mkdirSync(join(dir, h.name), { recursive: true });
      return new LocalTransport(h.name, { home: join(dir, h.name) });
    },
    decisions: app.bridge,
    emit: (e) => {
      events.push(e);
      app.store.push(e);
    },
  });
  return { app, events, result, home: (h: string) => join(dir, h) };
}

describe("the UI drives the engine", () => {
  test("Enter runs a step on every machine and its output shows; the run ends ok", async () => {
    const r = start("enter", "## Greet {#greet}\n\n```sh {on=app}\necho hello from $(basename $HOME)\n```\n");
    await r.app.waitFor("Enter runs it");
    await r.app.press(KEYS.enter);
    const f = await r.app.waitFor("run finished ok");
    expect(f).toContain("hello from m1");
    expect(f).toMatch(/✓ m2 +ok/);
    expect((await r.result).status).toBe("ok");
  });

  test("a failure, then r: the step runs again on the failed machine only and the run goes on", async () => {
    const r = start(
      "retry",
      "## Flaky {#flaky}\n\n```sh {on=app}\nif [ -f ~/seen ] || [ $(basename $HOME) = m2 ]; then echo fine; else touch ~/seen; echo first try fails >&2; exit 4; fi\n```\n",
    );
    await r.app.waitFor("Enter runs it");
    await r.app.press(KEYS.enter);
    // The question and the machine's result are two updates: wait for the frame that has both.
    const f = await r.app.waitFor((x) => x.includes("failed on m1") && x.includes("! first try fails"));
    expect(f).toMatch(/▸✗ m1 +failed .* exit 4/);
    await r.app.press("r");
    const g = await r.app.waitFor("run finished ok");
    expect(g).toContain("── run again");
    expect((await r.result).status).toBe("ok");
    // The command started on m1 and m2, then again on m1 only.
    const runs = r.events
      .filter((e) => e.type === "command-started")
      .map((e) => (e as { host: string }).host);
    expect(runs.slice(0, 2).sort()).toEqual(["m1", "m2"]);
    expect(runs.slice(2)).toEqual(["m1"]);
  });

  test("s with a reason skips the step: nothing runs and the reason is in the event stream", async () => {
    const r = start("skip", "## Touch {#touch}\n\n```sh {on=app}\ntouch ~/touched\n```\n");
    await r.app.waitFor("Enter runs it");
    await r.app.press("s", ..."disk is full", KEYS.enter);
    // Its only step skipped: the run did nothing, and says so rather than "ok".
    await r.app.waitFor("run finished: nothing ran: every step was skipped");
    expect((await r.result).status).toBe("empty");
    expect(existsSync(join(r.home("m1"), "touched"))).toBe(false);
    const skip = r.events.find((e) => e.type === "decision" && e.decision.kind === "skip");
    expect(skip).toMatchObject({ decision: { kind: "skip", reason: "disk is full" }, by: "tester@host" });
  });

  test("b then y between steps rolls the last step back on the selected machine only", async () => {
    const r = start(
      "rollback",
      "## Write {#write}\n\n```sh {on=app}\necho v1 > ~/state\n```\n\n```rollback {on=app}\nrm ~/state && echo removed\n```\n\n## Next {#next}\n\n```sh {on=app}\ntrue\n```\n",
    );
    await r.app.waitFor("Enter runs it");
    await r.app.press(KEYS.enter);
    await r.app.waitFor("next: step 2/2");
    await r.app.press(KEYS.tab, "b");
    await r.app.waitFor('Roll back "Write" on m2?');
    await r.app.press("y");
    const f = await r.app.waitFor("── rollback ok ──");
    expect(f).toContain("removed");
    expect(existsSync(join(r.home("m2"), "state"))).toBe(false);
    expect(readFileSync(join(r.home("m1"), "state"), "utf8")).toBe("v1\n");
    await r.app.press("q");
    expect((await r.result).status).toBe("aborted");
  });
});
