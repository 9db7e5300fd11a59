import { describe, expect, test } from "bun:test";
import { DecisionBridge } from "../../src/ui/decision-bridge.ts";
import { planOf, stepOf } from "./render-app.tsx";

const plan = planOf();
const check = stepOf(plan, "check");
const install = stepOf(plan, "install");

describe("DecisionBridge", () => {
  test("questions wait in order; answering one shows the next and tells the listeners", async () => {
    const bridge = new DecisionBridge("me@here");
    let told = 0;
    bridge.subscribe(() => told++);
    const first = bridge.beforeStep(install);
    const second = bridge.hostKey({
      host: "a1",
      address: "127.0.0.2",
      port: 22,
      keyType: "ssh-ed25519",
      fingerprint: "SHA256:x",
    });
    expect(bridge.current?.kind).toBe("before-step");
    const q = bridge.current;
    if (q?.kind !== "before-step") throw new Error("expected a before-step question");
    q.answer({ kind: "run" });
    q.answer({ kind: "abort" });
    expect(await first).toEqual({ kind: "run" });
    expect(bridge.current?.kind).toBe("host-key");
    expect(told).toBe(3);
    const h = bridge.current;
    if (h?.kind !== "host-key") throw new Error("expected a host-key question");
    h.answer(false);
    expect(await second).toBe(false);
    expect(bridge.current).toBeUndefined();
  });

  test("abortAll ends every pending question as a refusal, and every later one too", async () => {
    const bridge = new DecisionBridge("me@here");
    const step = bridge.beforeStep(install);
    const word = bridge.confirmWord(install);
    const key = bridge.hostKey({ host: "a1", address: "x", port: 22, keyType: "t", fingerprint: "f" });
    bridge.abortAll();
    expect(await step).toEqual({ kind: "abort" });
    expect(await word).toBeUndefined();
    expect(await key).toBe(false);
    expect(await bridge.afterFailure(install, ["a1"])).toEqual({ kind: "abort" });
    expect(await bridge.rollbackOnAbort([install])).toEqual([]);
    expect(await bridge.resolveUnknown(install, "a1", { kind: "gone", pid: 4242 })).toBe("abort");
    expect(await bridge.secret("token")).toBeUndefined();
    expect(bridge.current).toBeUndefined();
  });

  test("auto-read runs read-only steps without asking; change steps are still asked", async () => {
    const bridge = new DecisionBridge("me@here");
    bridge.autoRead = true;
    expect(await bridge.beforeStep(check)).toEqual({ kind: "run" });
    bridge.beforeStep(install);
    expect(bridge.current?.kind).toBe("before-step");
  });

  test("turning auto-read on answers a read-only step that is waiting", async () => {
    const bridge = new DecisionBridge("me@here");
    const waiting = bridge.beforeStep(check);
    bridge.setAutoRead(true);
    expect(await waiting).toEqual({ kind: "run" });
  });

  test("a stop with nothing to roll back is not asked", async () => {
    const bridge = new DecisionBridge("me@here");
    expect(await bridge.rollbackOnAbort([check])).toEqual([]);
    expect(bridge.current).toBeUndefined();
  });
});
