import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { autoDecisions, type DecisionSource } from "../../src/engine/decisions.ts";
import type { Decision, EngineEvent } from "../../src/engine/events.ts";
import { runPlan } from "../../src/engine/run-plan.ts";
import { parseRunbook } from "../../src/format/parse-runbook.ts";
import { parseInventory } from "../../src/inventory/load-inventory.ts";
import type { PlannedStep } from "../../src/model/plan.ts";
import { buildPlan } from "../../src/plan/build-plan.ts";
import { LocalTransport } from "../../src/transport/local-transport.ts";

const root = mkdtempSync(join(tmpdir(), "runbook-waits-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const INVENTORY =
  "hosts:\n  m1: { transport: local, roles: [app] }\n  m2: { transport: local, roles: [app] }\n";

function setup(name: string, body: string, vars: Record<string, string> = {}) {
  const dir = join(root, name);
  const file = join(dir, "rb.md");
  const text = `---\ntitle: Waits\nroles: [app]\nvars:\n  port: { default: "1" }\n---\n\n# Phase\n\n${body}`;
  const plan = buildPlan(
    parseRunbook(file, (p) => (p === file ? text : undefined)),
    parseInventory(join(dir, "inv.yaml"), INVENTORY),
    { vars },
  );
  const home = (h: string) => join(dir, h);
  const connect = async (h: { name: string }) => {
    mkdirSync(home(h.name), { recursive: true });
    return new LocalTransport(h.name, { home: home(h.name) });
  };
  return { plan, connect, home };
}

async function run(s: ReturnType<typeof setup>, decisions: DecisionSource = autoDecisions({ who: "test" })) {
  const events: EngineEvent[] = [];
  const result = await runPlan({
    plan: s.plan,
    runId: "w",
    connect: s.connect,
    decisions,
    emit: (e) => events.push(e),
  });
  const errors = events.flatMap((e) =>
    e.type === "host-finished" && e.error ? [`${e.host}: ${e.error}`] : [],
  );
  return { result, events, errors };
}

/** A free port on loopback, released again so a test can listen on it later. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe("waits", () => {
  test("wait-port: the step returns once the background server accepts connections", async () => {
    const port = await freePort();
    const s = setup(
      "port",
      '## Serve {#serve}\n\n```sh {on=@m1 background wait-port="{{ port }}" timeout=20s}\nsleep 1; exec bun -e \'Bun.listen({ hostname: "127.0.0.1", port: Number(process.argv[1]), socket: { data() {} } })\' {{ port }}\n```\n',
      { port: String(port) },
    );
    const { result, events, errors } = await run(s);
    expect(errors).toEqual([]);
    expect(result.status).toBe("ok");
    expect(events).toContainEqual(
      expect.objectContaining({ type: "host-status", host: "m1", status: "waiting", detail: `port ${port}` }),
    );
    const pid = Number(/pid (\d+)/.exec(JSON.stringify(events))?.[1]);
    process.kill(-pid, "SIGKILL");
  });

  test("wait-port: a port that never opens fails the step after its timeout, naming the port", async () => {
    const port = await freePort();
    const s = setup(
      "port-timeout",
      '## Serve {#serve}\n\n```sh {on=@m1 background wait-port="127.0.0.1:{{ port }}" timeout=2s}\nexec sleep 30\n```\n',
      { port: String(port) },
    );
    const { result, errors, events } = await run(s);
    expect(result.status).toBe("failed");
    expect(errors).toEqual([`m1: timed out after 2s waiting for port 127.0.0.1:${port}`]);
    const pid = Number(/pid (\d+)/.exec(JSON.stringify(events))?.[1]);
    process.kill(-pid, "SIGKILL");
  });

  test("wait-cmd: a command's wait is polled until it succeeds", async () => {
    const s = setup(
      "cmd",
      '## Ready {#ready}\n\n```sh {on=app wait-cmd="test -f ~/ready" timeout=20s}\n(sleep 1; touch ~/ready) > /dev/null 2>&1 &\necho started\n```\n',
    );
    const { result, errors } = await run(s);
    expect(errors).toEqual([]);
    expect(result.status).toBe("ok");
    expect(existsSync(join(s.home("m1"), "ready"))).toBe(true);
    expect(existsSync(join(s.home("m2"), "ready"))).toBe(true);
  });

  test("wait-cmd: a wait that never succeeds fails with the command in the error", async () => {
    const s = setup(
      "cmd-timeout",
      '## Ready {#ready}\n\n```sh {on=@m1 wait-cmd="test -f ~/never" timeout=2s}\ntrue\n```\n',
    );
    const { result, errors } = await run(s);
    expect(result.status).toBe("failed");
    expect(errors).toEqual(["m1: timed out after 2s waiting for `test -f ~/never` to succeed"]);
  });
});

/** Answers the engine's questions from a script, one answer per question asked, in order. */
function scripted(
  before: Decision[],
  words: (string | undefined)[] = [],
  failures: Decision[] = [],
): DecisionSource & { asked: string[] } {
  const asked: string[] = [];
  return {
    who: "script",
    asked,
    async beforeStep(step: PlannedStep) {
      asked.push(`before ${step.id}`);
      return before.shift() ?? { kind: "run" };
    },
    async confirmWord(step: PlannedStep) {
      asked.push(`word ${step.id}`);
      return words.shift();
    },
    async afterFailure(step: PlannedStep, hosts: string[]) {
      asked.push(`failed ${step.id} on ${hosts.join(",")}`);
      return failures.shift() ?? { kind: "abort" };
    },
    async rollbackOnAbort() {
      return [];
    },
    async resolveUnknown() {
      return "abort";
    },
    async secret() {
      return undefined;
    },
  };
}

describe("decisions between steps", () => {
  const body =
    "## Install {#install}\n\n```sh {on=app}\ntouch ~/installed\n```\n\n```rollback {on=app}\nrm ~/installed\n```\n\n" +
    "## Wipe {#wipe}\n\n```sh {on=app risk=destructive confirm=wipe-it}\ntouch ~/wiped\n```\n";

  test("before a step, the operator may roll back a finished step on one machine, then go on", async () => {
    const s = setup("rollback-between", body);
    const d = scripted(
      [{ kind: "run" }, { kind: "rollback", stepId: "install", hosts: ["m2"] }, { kind: "run" }],
      ["wipe-it"],
    );
    const { result, events } = await run(s, d);
    expect(result.status).toBe("ok");
    expect(d.asked).toEqual(["before install", "before wipe", "before wipe", "word wipe"]);
    // m2 was rolled back, m1 kept its install; the journaled decision names the step and machine.
    expect(existsSync(join(s.home("m1"), "installed"))).toBe(true);
    expect(existsSync(join(s.home("m2"), "installed"))).toBe(false);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: "decision",
        stepId: "wipe",
        decision: { kind: "rollback", stepId: "install", hosts: ["m2"] },
      }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({ type: "rollback-finished", stepId: "install", host: "m2", ok: true }),
    );
    expect(result.state.steps.install?.hosts.m2?.status).toBe("rolled-back");
    expect(result.state.steps.install?.hosts.m1?.status).toBe("ok");
  });

  test("backing out of the confirmation word returns to the question; a wrong word refuses the run", async () => {
    const back = setup("word-back", body);
    const d = scripted(
      [{ kind: "run" }, { kind: "run" }, { kind: "skip", reason: "not tonight" }],
      [undefined],
    );
    const r = await run(back, d);
    expect(d.asked).toEqual(["before install", "before wipe", "word wipe", "before wipe"]);
    expect(r.result.status).toBe("ok");
    expect(existsSync(join(back.home("m1"), "wiped"))).toBe(false);
    expect(r.result.state.steps.wipe?.skipReason).toBe("not tonight");

    // Each wrong word is journaled (never what was typed) and asked again; the third refuses the run.
    const wrong = setup("word-wrong", body);
    const w = await run(wrong, scripted([], ["wipe", "wipeit", "Wipe-it"]));
    expect(w.result.status).toBe("aborted");
    expect(w.result.refused).toBe(true);
    expect(existsSync(join(wrong.home("m1"), "wiped"))).toBe(false);
    const words = w.events.filter((e) => e.type === "decision" && e.decision.kind === "word");
    expect(words.map((e) => (e.type === "decision" ? e.decision : undefined))).toEqual([
      { kind: "word", right: false, attempt: 1 },
      { kind: "word", right: false, attempt: 2 },
      { kind: "word", right: false, attempt: 3 },
    ]);
    expect(JSON.stringify(w.events)).not.toContain("wipeit");

    // A wrong word, then the right one: both journaled, and the step runs.
    const second = setup("word-second", body);
    const ok = await run(second, scripted([], ["wip", "wipe-it"]));
    expect(ok.result.status).toBe("ok");
    expect(existsSync(join(second.home("m1"), "wiped"))).toBe(true);
    expect(
      ok.events
        .filter((e) => e.type === "decision" && e.decision.kind === "word")
        .map((e) => e.type === "decision" && e.decision),
    ).toEqual([
      { kind: "word", right: false, attempt: 1 },
      { kind: "word", right: true, attempt: 2 },
    ]);
  });

  test("after a failure, rolling back some machines asks again; the others stay as they are", async () => {
    const s = setup(
      "rollback-after-failure",
      "## Change {#change}\n\n```sh {on=app}\ntouch ~/changed; [ $(basename $HOME) = m1 ]\n```\n\n```rollback {on=app}\nrm ~/changed\n```\n",
    );
    const d = scripted([], [], [{ kind: "rollback", hosts: ["m2"] }, { kind: "abort" }]);
    const { result, events } = await run(s, d);
    expect(result.status).toBe("failed");
    expect(d.asked).toEqual(["before change", "failed change on m2", "failed change on m2"]);
    expect(existsSync(join(s.home("m1"), "changed"))).toBe(true);
    expect(existsSync(join(s.home("m2"), "changed"))).toBe(false);
    expect(
      events.filter((e) => e.type === "rollback-finished").map((e) => (e as { host: string }).host),
    ).toEqual(["m2"]);
  });
});
