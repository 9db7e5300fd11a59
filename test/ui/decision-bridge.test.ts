import { describe, expect, test } from "bun:test";
import { Asker } from "../../src/engine/ask.ts";
import type { EngineEvent } from "../../src/engine/events.ts";
import { initialRunState, reduceRun } from "../../src/engine/state.ts";
import { askingNow } from "../../src/ui/asking.ts";
import { DecisionBridge } from "../../src/ui/decision-bridge.ts";
import { AT } from "./events.ts";
import { planOf, stepOf } from "./render-app.tsx";

const plan = planOf();
const check = stepOf(plan, "check");
const install = stepOf(plan, "install");

/** A bridge asked through an Asker, as the engine asks it, with the run's state folded from the events. */
function setup() {
  const bridge = new DecisionBridge("me@here");
  const events: EngineEvent[] = [];
  const ask = new Asker(
    bridge,
    (e) => events.push(e),
    () => AT,
  );
  const state = () => events.reduce(reduceRun, initialRunState);
  const now = () => askingNow(state(), plan, bridge);
  return { bridge, ask, events, state, now };
}

describe("DecisionBridge", () => {
  test("questions wait in order in the run's state; answering one shows the next; each is journaled", async () => {
    const { ask, now, events } = setup();
    const first = ask.beforeStep(install);
    const second = ask.hostKey({
      kind: "host-key",
      host: "a1",
      address: "127.0.0.2",
      port: 22,
      keyType: "ssh-ed25519",
      fingerprint: "SHA256:x",
    });
    expect(now()?.kind).toBe("before-step");
    const q = now();
    if (q?.kind !== "before-step") throw new Error("expected a before-step question");
    q.answer({ kind: "run" });
    q.answer({ kind: "abort" });
    expect(await first).toEqual({ kind: "run" });
    expect(now()?.kind).toBe("host-key");
    const h = now();
    if (h?.kind !== "host-key") throw new Error("expected a host-key question");
    h.answer(false);
    expect(await second).toBe(false);
    expect(now()).toBeUndefined();
    // Who refused which fingerprint is in the journal; each answer closes its question.
    expect(events.filter((e) => e.type === "question")).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({
      type: "decision",
      decision: { kind: "host-key", host: "a1", fingerprint: "SHA256:x", accepted: false },
      by: "me@here",
    });
  });

  test("abortAll ends every pending question as a refusal, and every later one too", async () => {
    const { bridge, ask, now } = setup();
    const step = ask.beforeStep(install);
    const word = ask.confirmWord(install, 1);
    const key = ask.hostKey({
      kind: "host-key",
      host: "a1",
      address: "x",
      port: 22,
      keyType: "t",
      fingerprint: "f",
    });
    bridge.abortAll();
    expect(await step).toEqual({ kind: "abort" });
    expect(await word).toBeUndefined();
    expect(await key).toBe(false);
    expect(await ask.afterFailure(install, ["a1"])).toEqual({ kind: "abort" });
    expect(await ask.rollbackOnAbort([install])).toEqual([]);
    expect(await ask.resolveUnknown(install, "a1", { kind: "gone", pid: 4242 })).toBe("abort");
    expect(await ask.secret("token")).toBeUndefined();
    expect(now()).toBeUndefined();
  });

  test("auto-read runs read-only steps without asking; change steps are still asked", async () => {
    const { bridge, ask, now } = setup();
    bridge.setAutoRead(true);
    expect(await ask.beforeStep(check)).toEqual({ kind: "run" });
    void ask.beforeStep(install);
    expect(now()?.kind).toBe("before-step");
  });

  test("turning auto-read on answers a read-only step that is waiting", async () => {
    const { bridge, ask, now } = setup();
    const waiting = ask.beforeStep(check);
    bridge.setAutoRead(true, [now()?.id ?? ""]);
    expect(await waiting).toEqual({ kind: "run" });
  });

  test("a stop with nothing to roll back is not asked", async () => {
    const { ask, now } = setup();
    expect(await ask.rollbackOnAbort([check])).toEqual([]);
    expect(now()).toBeUndefined();
  });
});
