import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { autoDecisions } from "../../src/engine/decisions.ts";
import type { EngineEvent } from "../../src/engine/events.ts";
import { runPlan } from "../../src/engine/run-plan.ts";
import { initialRunState, type RunState, reduceRun } from "../../src/engine/state.ts";
import { parseRunbook } from "../../src/format/parse-runbook.ts";
import { parseInventory } from "../../src/inventory/load-inventory.ts";
import { buildPlan } from "../../src/plan/build-plan.ts";
import { LocalTransport } from "../../src/transport/local-transport.ts";

// Rollouts on eight local machines: which batches ran, where the step stopped, what resume ran.
const root = mkdtempSync(join(tmpdir(), "runbook-rollout-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const HOSTS = ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8"];
const INVENTORY = `hosts:\n${HOSTS.map((h) => `  ${h}: { transport: local, roles: [app] }`).join("\n")}\n  ns: { transport: local, roles: [ns] }\n`;

function setup(name: string, body: string) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "rb.md");
  const text = `---\ntitle: Rollout test\nroles: [app, ns]\nvars:\n  log: { default: "${dir}/ran.log" }\n---\n\n# Phase\n\n${body}`;
  const runbook = parseRunbook(file, (p) => (p === file ? text : undefined));
  const plan = buildPlan(runbook, parseInventory(join(dir, "inv.yaml"), INVENTORY));
  const home = (h: string) => join(dir, h);
  for (const h of [...HOSTS, "ns"]) mkdirSync(home(h), { recursive: true });
  const transport = (host: string) => {
    mkdirSync(home(host), { recursive: true });
    return new LocalTransport(host, { home: home(host) });
  };
  /** The machines the step's command ran on, in the order they ran. */
  const ran = () =>
    existsSync(join(dir, "ran.log"))
      ? readFileSync(join(dir, "ran.log"), "utf8").split("\n").filter(Boolean)
      : [];
  const clearRan = () => rmSync(join(dir, "ran.log"), { force: true });
  return { plan, transport, home, ran, clearRan, dir };
}

async function run(s: ReturnType<typeof setup>, resumeFrom?: RunState, rollbackOnFailure = false) {
  const events: EngineEvent[] = [];
  const result = await runPlan({
    plan: s.plan,
    runId: "rollout-run",
    connect: async (h) => s.transport(h.name),
    decisions: autoDecisions({ who: "--yes by tester", rollbackOnFailure }),
    emit: (e) => events.push(e),
    resumeFrom,
    forks: 16,
  });
  const batches = events
    .filter((e): e is Extract<EngineEvent, { type: "batch-started" }> => e.type === "batch-started")
    .map((e) => `${e.batch}/${e.of}: ${e.hosts.join(",")}`);
  const stepEnd = (id: string) =>
    events.find(
      (e): e is Extract<EngineEvent, { type: "step-finished" }> =>
        e.type === "step-finished" && e.stepId === id,
    )?.status;
  return { result, events, batches, stepEnd };
}

const RESTART = (attrs: string) =>
  `## Restart {#restart}\n\n\`\`\`sh {on=app ${attrs}}\nme=$(basename "$HOME")\necho "$me" >> {{ log }}\ntest ! -e "$HOME/broken"\n\`\`\`\n\n`;

describe("rollouts", () => {
  test("serial=2 max-fail=1: a second failed machine stops the rollout before the next batch; resume runs only the rest", async () => {
    const s = setup("max-fail", RESTART("serial=2 max-fail=1"));
    writeFileSync(join(s.home("m3"), "broken"), "");
    writeFileSync(join(s.home("m5"), "broken"), "");
    const first = await run(s);
    expect(first.batches).toEqual(["1/4: m1,m2", "2/4: m3,m4", "3/4: m5,m6"]);
    expect(s.ran().sort()).toEqual(["m1", "m2", "m3", "m4", "m5", "m6"]);
    expect(first.stepEnd("restart")).toBe("failed");
    expect(first.result.status).toBe("failed");
    const state = first.events.reduce(reduceRun, initialRunState);
    expect(state.steps.restart?.hosts.m7?.status ?? "pending").toBe("pending");

    // The machines are repaired; resume runs the failed ones and the batch that never ran, nothing else.
    rmSync(join(s.home("m3"), "broken"));
    rmSync(join(s.home("m5"), "broken"));
    s.clearRan();
    const resumed = await run(s, state);
    expect(resumed.result.status).toBe("ok");
    expect(resumed.batches).toEqual(["2/4: m3", "3/4: m5", "4/4: m7,m8"]);
    expect(s.ran()).toEqual(["m3", "m5", ...s.ran().slice(2)]);
    expect(s.ran().slice(2).sort()).toEqual(["m7", "m8"]);
  });

  test("without max-fail the first failure stops the rollout: later batches never start", async () => {
    const s = setup("first-failure", RESTART("serial=25%"));
    writeFileSync(join(s.home("m2"), "broken"), "");
    const { batches, stepEnd } = await run(s);
    expect(batches).toEqual(["1/4: m1,m2"]);
    expect(s.ran().sort()).toEqual(["m1", "m2"]);
    expect(stepEnd("restart")).toBe("failed");
  });

  test("failures within max-fail let every batch run, and the step still fails at its end", async () => {
    const s = setup("tolerated", RESTART("serial=4 max-fail=1"));
    writeFileSync(join(s.home("m6"), "broken"), "");
    const { batches, stepEnd, result } = await run(s);
    expect(batches).toEqual(["1/2: m1,m2,m3,m4", "2/2: m5,m6,m7,m8"]);
    expect(s.ran()).toHaveLength(8);
    expect(stepEnd("restart")).toBe("failed");
    expect(result.status).toBe("failed");
  });

  test("pause= waits between batches, not before the first", async () => {
    const s = setup("pause", RESTART("serial=4 pause=300ms"));
    const { events } = await run(s);
    const batchEvents = events.filter((e) => e.type === "batch-started");
    expect(batchEvents.map((e) => ("pauseMs" in e ? e.pauseMs : undefined))).toEqual([undefined, 300]);
    const lastOfFirst = Math.max(
      ...events
        .filter((e) => e.type === "host-finished" && ["m1", "m2", "m3", "m4"].includes(e.host))
        .map((e) => Date.parse(e.at)),
    );
    const firstOfSecond = Math.min(
      ...events
        .filter((e) => e.type === "command-sent" && ["m5", "m6", "m7", "m8"].includes(e.host))
        .map((e) => Date.parse(e.at)),
    );
    expect(firstOfSecond - lastOfFirst).toBeGreaterThanOrEqual(290);
  });

  test("the gate runs after each batch; when it fails the rollout stops and the step fails", async () => {
    const gate = (dir: string) =>
      `## Check the cluster {#check}\n\n\`\`\`sh {on=ns risk=read}\necho gate >> {{ log }}\ntest "$(grep -c . ${dir}/ran.log)" -lt 7\n\`\`\`\n\n## After {#after}\n\n\`\`\`sh {on=ns}\necho after >> {{ log }}\n\`\`\`\n`;
    const s = setup("gate", RESTART("serial=3 gate=check") + gate(join(root, "gate")));
    const { batches, stepEnd, result } = await run(s);
    // Batch 1 (3 lines) + gate = 4 lines; batch 2 makes 7 before its gate runs: the gate fails.
    expect(batches).toEqual(["1/3: m1,m2,m3", "2/3: m4,m5,m6"]);
    expect(s.ran().filter((l) => l === "gate")).toHaveLength(2);
    expect(s.ran()).not.toContain("m7");
    expect(s.ran()).not.toContain("after");
    expect(stepEnd("check")).toBe("failed");
    expect(stepEnd("restart")).toBe("failed");
    expect(result.status).toBe("failed");
  });

  test("resume after a failed gate runs the gate again before the next batch: a batch never starts on a gate that did not pass", async () => {
    const s = setup(
      "gate-resume",
      `${RESTART("serial=4 gate=check")}## Check the cluster {#check}\n\n\`\`\`sh {on=ns risk=read}\necho gate >> {{ log }}\ntest ! -e "$HOME/unhealthy"\n\`\`\`\n`,
    );
    writeFileSync(join(s.home("ns"), "unhealthy"), "");
    const first = await run(s);
    expect(first.batches).toEqual(["1/2: m1,m2,m3,m4"]);
    expect(first.stepEnd("check")).toBe("failed");
    const state = first.events.reduce(reduceRun, initialRunState);

    // Still unhealthy: resume checks again and stops there; the second batch never starts.
    s.clearRan();
    const stillBad = await run(s, state);
    expect(stillBad.batches).toEqual([]);
    expect(s.ran()).toEqual(["gate"]);
    expect(stillBad.stepEnd("restart")).toBe("failed");

    // Healthy again: the gate passes, then the second batch and its gate run.
    rmSync(join(s.home("ns"), "unhealthy"));
    s.clearRan();
    const resumed = await run(s, stillBad.events.reduce(reduceRun, state));
    expect(resumed.result.status).toBe("ok");
    expect(resumed.batches).toEqual(["2/2: m5,m6,m7,m8"]);
    expect(s.ran()[0]).toBe("gate");
    expect(s.ran().slice(1, 5).sort()).toEqual(["m5", "m6", "m7", "m8"]);
    expect(s.ran()[5]).toBe("gate");
  });

  test("resume after the gate failed behind the last batch runs the gate again before the step counts as done", async () => {
    const dir = join(root, "gate-last");
    const s = setup(
      "gate-last",
      `${RESTART("serial=4 gate=check")}## Check the cluster {#check}\n\n\`\`\`sh {on=ns risk=read}\necho gate >> {{ log }}\ntest "$(grep -c . ${dir}/ran.log)" -lt 9\n\`\`\`\n`,
    );
    // Batch 1 (4 lines) + gate = 5 lines; batch 2 makes 9 before its gate runs: the gate fails.
    const first = await run(s);
    expect(first.batches).toEqual(["1/2: m1,m2,m3,m4", "2/2: m5,m6,m7,m8"]);
    expect(first.stepEnd("check")).toBe("failed");
    s.clearRan();
    const resumed = await run(s, first.events.reduce(reduceRun, initialRunState));
    expect(resumed.batches).toEqual([]);
    expect(s.ran()).toEqual(["gate"]);
    expect(resumed.result.status).toBe("ok");
  });

  test("a gate that passes after every batch is not run again on its own, and the run goes on", async () => {
    const s = setup(
      "gate-ok",
      `${RESTART("serial=4 gate=check")}## Check the cluster {#check}\n\n\`\`\`sh {on=ns risk=read}\necho gate >> {{ log }}\n\`\`\`\n\n## After {#after}\n\n\`\`\`sh {on=ns}\necho after >> {{ log }}\n\`\`\`\n`,
    );
    const { result, stepEnd } = await run(s);
    expect(result.status).toBe("ok");
    expect(s.ran().filter((l) => l === "gate")).toHaveLength(2);
    expect(s.ran().at(-1)).toBe("after");
    expect(stepEnd("check")).toBe("ok");
  });

  test("a failed gate with --rollback-on-failure rolls back the rolled-out step where it ran, not the gate", async () => {
    const dir = join(root, "gate-rollback");
    const s = setup(
      "gate-rollback",
      `## Restart {#restart}\n\n\`\`\`sh {on=app serial=2 gate=check}\necho "$(basename "$HOME")" >> {{ log }}\n\`\`\`\n\n\`\`\`rollback {on=app}\necho "undo $(basename "$HOME")" >> {{ log }}\n\`\`\`\n\n## Check the cluster {#check}\n\n\`\`\`sh {on=ns risk=read}\ntest "$(grep -c '^m' ${dir}/ran.log)" -lt 4\n\`\`\`\n`,
    );
    const { stepEnd, result, events } = await run(s, undefined, true);
    // Batch 1 passed its gate; batch 2 made four restarts and its gate failed: both batches undone.
    expect(
      s
        .ran()
        .filter((l) => l.startsWith("undo"))
        .sort(),
    ).toEqual(["undo m1", "undo m2", "undo m3", "undo m4"]);
    expect(s.ran()).not.toContain("m5");
    expect(stepEnd("check")).toBe("failed");
    const ends = events.filter((e) => e.type === "step-finished" && e.stepId === "restart");
    expect(ends.map((e) => (e.type === "step-finished" ? e.status : ""))).toEqual(["rolled-back"]);
    expect(result.status).toBe("failed");
  });
});
