import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AutoDecisionOptions, autoDecisions } from "../../src/engine/decisions.ts";
import type { EngineEvent } from "../../src/engine/events.ts";
import { runPlan } from "../../src/engine/run-plan.ts";
import { initialRunState, type RunState, reduceRun } from "../../src/engine/state.ts";
import { parseRunbook } from "../../src/format/parse-runbook.ts";
import { parseInventory } from "../../src/inventory/load-inventory.ts";
import { buildPlan } from "../../src/plan/build-plan.ts";
import { LocalTransport } from "../../src/transport/local-transport.ts";

const root = mkdtempSync(join(tmpdir(), "runbook-engine-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const INVENTORY = `
hosts:
  m1: { transport: local, roles: [app] }
  m2: { transport: local, roles: [app] }
  m3: { transport: local, roles: [db] }
`;

function setup(name: string, body: string, vars: Record<string, string> = {}) {
  const dir = join(root, name);
  const file = join(dir, "rb.md");
  const text = `---\ntitle: Engine test\nroles: [app, db]\nvars:\n  word: { default: "hello" }\n  token: { secret: true }\n---\n\n# Phase\n\n${body}`;
  const runbook = parseRunbook(file, (p) => (p === file ? text : undefined));
  const plan = buildPlan(runbook, parseInventory(join(dir, "inv.yaml"), INVENTORY), { vars });
  // A fresh transport per connect: the engine closes its transports when a run ends.
  const transport = (host: string) => {
    mkdirSync(join(dir, host), { recursive: true });
    return new LocalTransport(host, { home: join(dir, host) });
  };
  return { plan, transport, dir, home: (h: string) => join(dir, h) };
}

async function run(
  s: ReturnType<typeof setup>,
  decide: Partial<AutoDecisionOptions> = {},
  extra: {
    resumeFrom?: RunState;
    runId?: string;
    lock?: { who: string; breakStale: boolean };
    forks?: number;
  } = {},
) {
  const events: EngineEvent[] = [];
  const result = await runPlan({
    plan: s.plan,
    runId: extra.runId ?? "test-run",
    connect: async (h) => s.transport(h.name),
    decisions: autoDecisions({ who: "--yes by tester@here", secrets: { token: "s3cr3t-value" }, ...decide }),
    emit: (e) => events.push(e),
    resumeFrom: extra.resumeFrom,
    lock: extra.lock,
    forks: extra.forks,
  });
  const output = (host: string) =>
    events
      .filter((e): e is Extract<EngineEvent, { type: "output" }> => e.type === "output" && e.host === host)
      .map((e) => e.text)
      .join("");
  return { result, events, output };
}

describe("engine", () => {
  test("a step fans out to every machine of its role, in parallel, and the run finishes ok", async () => {
    const s = setup(
      "fanout",
      "## Say {#say}\n\n```sh {on=app}\necho {{ word }} from $(basename $HOME)\n```\n",
    );
    const { result, output, events } = await run(s);
    expect(result.status).toBe("ok");
    expect(output("m1")).toBe("hello from m1\n");
    expect(output("m2")).toBe("hello from m2\n");
    expect(output("m3")).toBe("");
    expect(
      events
        .filter((e) => e.type === "host-finished")
        .map((e) => (e as { host: string }).host)
        .sort(),
    ).toEqual(["m1", "m2"]);
    expect(result.state.steps.say?.status).toBe("ok");
  });

  test("a background process with a log wait returns at once and ignores an old success line", async () => {
    const s = setup(
      "background",
      '## Start {#start}\n\n```sh {on=db background wait-log="~/svc.log" wait-for="boot success" timeout=20s}\necho starting >> ~/svc.log; sleep 1; echo "boot success pid $$" >> ~/svc.log; sleep 30\n```\n\n```rollback {on=db}\npkill -f "sleep 30" || true\n```\n',
    );
    s.transport("m3");
    writeFileSync(join(s.home("m3"), "svc.log"), "boot success from an earlier run\n");
    const { result, output } = await run(s);
    expect(result.status).toBe("ok");
    const out = output("m3");
    expect(out).toContain("started in the background, pid");
    expect(out).toContain("starting\n");
    expect(out).toMatch(/boot success pid \d+/);
    expect(out).not.toContain("earlier run");
    const pid = Number(/pid (\d+), output/.exec(out)?.[1]);
    expect(() => process.kill(pid, 0)).not.toThrow();
    process.kill(-pid, "SIGKILL");
  });

  test("a background process that dies before its success line fails the step with its last output", async () => {
    const s = setup(
      "dies",
      '## Start\n\n```sh {on=db background wait-log="~/svc.log" wait-for="boot success" timeout=20s}\necho "fatal: port in use"; exit 3\n```\n',
    );
    const { result, events } = await run(s);
    expect(result.status).toBe("failed");
    const fin = events.find((e) => e.type === "host-finished");
    expect(fin).toMatchObject({ status: "failed" });
    expect((fin as { error: string }).error).toContain("exited before");
    expect((fin as { error: string }).error).toContain("fatal: port in use");
  });

  test("retries run the command again with backoff until it succeeds", async () => {
    const s = setup(
      "retry",
      "## Flaky\n\n```sh {on=db retries=2 retry-delay=100ms}\nn=$(cat ~/n 2>/dev/null || echo 0); echo $((n+1)) > ~/n; [ $n -ge 1 ]\n```\n",
    );
    const { result, output } = await run(s);
    expect(result.status).toBe("ok");
    expect(output("m3")).toContain("attempt 1 failed (exit code 1); retrying");
    expect(await Bun.file(join(s.home("m3"), "n")).text()).toBe("2\n");
  });

  test("with --yes a failure stops the run: later steps never run", async () => {
    const s = setup(
      "fail",
      "## Breaks {#breaks}\n\n```sh {on=db}\necho broken >&2; exit 7\n```\n\n## After {#after}\n\n```sh {on=db}\ntouch ~/after-ran\n```\n",
    );
    const { result, events } = await run(s);
    expect(result.status).toBe("failed");
    expect(events.find((e) => e.type === "host-finished")).toMatchObject({
      status: "failed",
      exitCode: 7,
      error: "exit code 7",
    });
    expect(existsSync(join(s.home("m3"), "after-ran"))).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: "run-finished", status: "failed", failedStep: "breaks" });
  });

  test("expect= fails a command that exits 0 but prints the wrong thing", async () => {
    const s = setup(
      "expect",
      '## Check\n\n```sh {on=db expect="^OK$"}\necho "Exception: no route"; exit 0\n```\n',
    );
    const { result, events } = await run(s);
    expect(result.status).toBe("failed");
    expect((events.find((e) => e.type === "host-finished") as { error: string }).error).toBe(
      "output does not match /^OK$/",
    );
  });

  test("a captured value reaches later steps on the same machine, quoted", async () => {
    const s = setup(
      "capture",
      "## Get\n\n```sh {on=db capture=value}\necho 'a b; $(touch ~/pwned)'\n```\n\n## Use\n\n```sh {on=db}\nprintf '%s' {{ value }} > ~/got\n```\n",
    );
    const { result } = await run(s);
    expect(result.status).toBe("ok");
    expect(await Bun.file(join(s.home("m3"), "got")).text()).toBe("a b; $(touch ~/pwned)");
    expect(existsSync(join(s.home("m3"), "pwned"))).toBe(false);
  });

  test("a hostile variable value is passed as text and never executed", async () => {
    const s = setup("inject", "## Echo\n\n```sh {on=db}\necho {{ word }}\n```\n", {
      word: "$(touch ~/pwned); rm -rf ~/x `touch ~/pwned2`",
    });
    const { result, output } = await run(s);
    expect(result.status).toBe("ok");
    expect(output("m3")).toBe("$(touch ~/pwned); rm -rf ~/x `touch ~/pwned2`\n");
    expect(existsSync(join(s.home("m3"), "pwned"))).toBe(false);
    expect(existsSync(join(s.home("m3"), "pwned2"))).toBe(false);
  });

  test("a secret is used in the command but never appears in any event", async () => {
    const s = setup(
      "secret",
      "## Use\n\n```sh {on=db}\necho token is {{ token }}; echo {{ token }} >&2\n```\n",
    );
    const { result, events } = await run(s);
    expect(result.status).toBe("ok");
    const all = JSON.stringify(events);
    expect(all).not.toContain("s3cr3t-value");
    expect(all).toContain("token is ••••••");
    expect(JSON.stringify(s.plan)).not.toContain("s3cr3t-value");
  });

  test("a destructive step runs only with the right confirmation word", async () => {
    const body =
      '## Wipe {#wipe}\n\n```sh {on=db risk=destructive confirm="{{ word }}"}\ntouch ~/wiped\n```\n';
    const refused = setup("destructive-no", body);
    const r1 = await run(refused);
    expect(r1.result.status).toBe("aborted");
    expect(r1.result.refused).toBe(true);
    expect(existsSync(join(refused.home("m3"), "wiped"))).toBe(false);
    const wrong = await run(setup("destructive-wrong", body), { confirm: "nope" });
    expect(wrong.result.status).toBe("aborted");
    const allowed = setup("destructive-yes", body);
    const r2 = await run(allowed, { confirm: "hello" });
    expect(r2.result.status).toBe("ok");
    expect(existsSync(join(allowed.home("m3"), "wiped"))).toBe(true);
  });

  test("resume: finished steps are not run again, and a step that was running is never silently re-run", async () => {
    const s = setup(
      "resume",
      "## One {#one}\n\n```sh {on=db}\necho x >> ~/one\n```\n\n## Two {#two}\n\n```sh {on=db}\necho x >> ~/two\n```\n\n## Three {#three}\n\n```sh {on=db}\necho x >> ~/three\n```\n",
    );
    const first = await run(s);
    // Cut the journal as a crash would: after step two's command was sent to m3.
    const cut = first.events.findIndex((e) => e.type === "command-sent" && e.stepId === "two");
    const prior = first.events.slice(0, cut + 1).reduce(reduceRun, initialRunState);
    rmSync(join(s.home("m3"), "three"));
    const refused = await run(s, {}, { resumeFrom: prior });
    expect(refused.result.status).toBe("aborted");
    expect(
      refused.events.some((e) => e.type === "host-status" && e.stepId === "two" && e.status === "unknown"),
    ).toBe(true);
    expect(existsSync(join(s.home("m3"), "three"))).toBe(false);
    const resumed = await run(s, { unknown: "done" }, { resumeFrom: prior });
    expect(resumed.result.status).toBe("ok");
    expect(await Bun.file(join(s.home("m3"), "one")).text()).toBe("x\n");
    expect(await Bun.file(join(s.home("m3"), "two")).text()).toBe("x\n");
    expect(await Bun.file(join(s.home("m3"), "three")).text()).toBe("x\n");
  });

  test("resume: a step the runner died in before sending anything runs without a question", async () => {
    const s = setup("resume-unsent", "## One {#one}\n\n```sh {on=db}\necho x >> ~/one\n```\n");
    const first = await run(s);
    const cut = first.events.findIndex(
      (e) => e.type === "host-status" && e.stepId === "one" && e.status === "running",
    );
    const prior = first.events.slice(0, cut + 1).reduce(reduceRun, initialRunState);
    rmSync(join(s.home("m3"), "one"));
    const resumed = await run(s, {}, { resumeFrom: prior });
    expect(resumed.result.status).toBe("ok");
    expect(resumed.events.some((e) => e.type === "host-status" && e.status === "unknown")).toBe(false);
    expect(await Bun.file(join(s.home("m3"), "one")).text()).toBe("x\n");
  });

  test("file blocks are written with their mode", async () => {
    const s = setup(
      "file",
      '## Conf\n\n```ini {file="~/conf/app.ini" on=db mode=0600}\nname={{ word }}\n```\n',
    );
    const { result } = await run(s);
    expect(result.status).toBe("ok");
    const path = join(s.home("m3"), "conf", "app.ini");
    expect(await Bun.file(path).text()).toBe("name=hello\n");
    const { statSync } = await import("node:fs");
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  test("a ts action runs in the runner with a typed context and can capture", async () => {
    const s = setup(
      "ts",
      '## Logic\n\n```ts {on=db}\nconst r = await ctx.$("echo 41");\nconst n: number = Number(r.stdout.trim()) + 1;\nctx.log(`answer ${n} on ${ctx.host.name} with ${ctx.vars.word}`);\n```\n',
    );
    const { result, output } = await run(s);
    expect(result.status).toBe("ok");
    expect(output("m3")).toContain("answer 42 on m3 with hello");
  });

  test("a second run on a locked machine is refused with who holds it and since when", async () => {
    const s = setup("lock", "## Slow {#slow}\n\n```sh {on=db}\nsleep 1.5\n```\n");
    const first = run(s, {}, { runId: "run-one", lock: { who: "alice@laptop", breakStale: false } });
    await Bun.sleep(400);
    const second = await run(s, {}, { runId: "run-two", lock: { who: "bob@desk", breakStale: false } });
    expect(second.result.status).toBe("aborted");
    expect(second.result.refused).toBe(true);
    const refusals = second.events.filter((e) => e.type === "refused") as { reason: string; host: string }[];
    // Every machine of the plan is locked by the first run, not only the ones of the running step
    // (m3): the second run is refused at the first machine in lock order, and takes none of the rest.
    expect(refusals.map((r) => r.host)).toEqual(["m1"]);
    const refusal = refusals[0] as { reason: string };
    expect(refusal.reason).toContain("machine m1 is locked by alice@laptop (run run-one, pid ");
    for (const m of ["m1", "m2", "m3"])
      expect(readFileSync(join(s.home(m), ".runbook", "lock", "info"), "utf8")).toContain(
        '"runId":"run-one"',
      );
    expect(second.events.some((e) => e.type === "step-started")).toBe(false);
    expect((await first).result.status).toBe("ok");
    // Released at the end of a finished run: the next run gets in.
    const third = await run(s, {}, { runId: "run-three", lock: { who: "bob@desk", breakStale: false } });
    expect(third.result.status).toBe("ok");
  });

  test("keep-going checks: a failed check is reported and the run goes on, without asking; it ends failed listing them", async () => {
    const s = setup(
      "keep-going",
      [
        "## Change {#change}\n\n```sh {on=db}\necho changed > ~/changed\n```\n\n```rollback {on=db}\nrm ~/changed\n```\n",
        "## Check one {#check-one}\n\n```sh {on=app risk=read keep-going}\n[ $(basename $HOME) = m1 ] || { echo not here >&2; exit 3; }\n```\n",
        "## Check two {#check-two}\n\n```sh {on=db risk=read keep-going}\nexit 1\n```\n",
        "## Check three {#check-three}\n\n```sh {on=all risk=read keep-going}\necho fine\n```\n",
      ].join("\n"),
    );
    // rollbackOnFailure would roll back "change" if the run stopped at a failure; it did not stop.
    const { result, events, output } = await run(
      s,
      { rollbackOnFailure: true },
      { runId: "keep-going-run", lock: { who: "alice@laptop", breakStale: false } },
    );
    expect(result.status).toBe("failed");
    expect(result.failedStep).toBe("check-one");
    expect(output("m3")).toContain("fine\n");
    const finished = events.filter((e) => e.type === "step-finished");
    expect(finished.map((e) => [e.stepId, e.status, e.goesOn ?? false])).toEqual([
      ["change", "ok", false],
      ["check-one", "failed", true],
      ["check-two", "failed", true],
      ["check-three", "ok", false],
    ]);
    // Nobody was asked about the failures, nothing was rolled back: the change stays.
    expect(events.filter((e) => e.type === "decision" && e.decision.kind !== "run")).toEqual([]);
    expect(events.some((e) => e.type === "rollback-finished")).toBe(false);
    expect(existsSync(join(s.home("m3"), "changed"))).toBe(true);
    expect(events.at(-1)).toMatchObject({
      type: "run-finished",
      status: "failed",
      failedStep: "check-one",
      failedChecks: ["check-one", "check-two"],
    });
    // The run reached its end: its locks are released, and the next run gets in.
    const next = await run(
      s,
      {},
      { runId: "after-keep-going", lock: { who: "bob@desk", breakStale: false } },
    );
    expect(next.events.some((e) => e.type === "refused")).toBe(false);
  });

  test("failed keep-going checks stop the run before the first step that changes machines: every check runs, nothing is changed, resume after the fix goes on", async () => {
    const s = setup(
      "keep-going-then-change",
      [
        "## Check {#check}\n\n```sh {on=db risk=read keep-going}\n[ -f ~/fixed ] || exit 1\n```\n",
        "## Other check {#other-check}\n\n```sh {on=app risk=read keep-going}\n[ -f ~/fixed ] || exit 1\n```\n",
        "## Fine check {#fine-check}\n\n```sh {on=all risk=read keep-going}\necho fine\n```\n",
        "## Change {#change}\n\n```sh {on=db}\necho changed > ~/changed\n```\n",
        "## Never {#never}\n\n```sh {on=db}\necho never\n```\n",
      ].join("\n"),
    );
    const { result, events, output } = await run(s, {}, { runId: "checks-stop" });
    expect(result.status).toBe("failed");
    expect(result.failedStep).toBe("check");
    expect(output("m3")).toContain("fine\n");
    expect(output("m3")).not.toContain("never");
    expect(existsSync(join(s.home("m3"), "changed"))).toBe(false);
    expect(events.filter((e) => e.type === "step-started").map((e) => e.stepId)).toEqual([
      "check",
      "other-check",
      "fine-check",
    ]);
    const end = events.at(-1) as Extract<EngineEvent, { type: "run-finished" }>;
    expect(end.failedChecks).toEqual(["check", "other-check"]);
    expect(end.stoppedBefore).toBe("change");
    expect(end.failedStep).toBe("check");

    // Fixed: the resume runs the failed checks again, then the changes.
    for (const m of ["m1", "m2", "m3"]) writeFileSync(join(s.home(m), "fixed"), "");
    const prior = events.reduce(reduceRun, initialRunState);
    const resumed = await run(s, {}, { resumeFrom: prior });
    expect(resumed.result.status).toBe("ok");
    expect(resumed.events.filter((e) => e.type === "step-started").map((e) => e.stepId)).toEqual([
      "check",
      "other-check",
      "change",
      "never",
    ]);
    expect(existsSync(join(s.home("m3"), "changed"))).toBe(true);
  });

  test("a plan that only reads takes no lock: it runs beside a run that holds the machines", async () => {
    const s = setup("lock-read", "## Slow {#slow}\n\n```sh {on=db}\nsleep 1.5\n```\n");
    const first = run(s, {}, { runId: "run-holder", lock: { who: "alice@laptop", breakStale: false } });
    await Bun.sleep(400);
    const reader = setup("lock-read-2", "## Look {#look}\n\n```sh {on=db risk=read}\necho looking\n```\n");
    // The same machine (m3, whose lock lives in its home) seen by a read-only runbook.
    const look = await run(
      { ...reader, transport: s.transport },
      {},
      { runId: "run-reader", lock: { who: "bob@desk", breakStale: false } },
    );
    expect(look.result.status).toBe("ok");
    expect(look.output("m3")).toBe("looking\n");
    expect((await first).result.status).toBe("ok");
  });

  test("a stale lock (dead runner on this host) is reported, and broken only when asked", async () => {
    const s = setup("stale", "## Quick\n\n```sh {on=db}\ntrue\n```\n");
    const dead = Bun.spawnSync(["true"]).pid; // a PID that has exited
    const { hostname } = await import("node:os");
    const lock = join(s.home("m3"), ".runbook", "lock");
    s.transport("m3");
    mkdirSync(lock, { recursive: true });
    writeFileSync(
      join(lock, "info"),
      JSON.stringify({
        runId: "old",
        who: "carol@box",
        runner: hostname(),
        pid: dead,
        since: "2026-01-01T00:00:00Z",
      }),
    );
    const refused = await run(s, {}, { runId: "new", lock: { who: "bob@desk", breakStale: false } });
    expect(refused.result.status).toBe("aborted");
    expect((refused.events.find((e) => e.type === "refused") as { reason: string }).reason).toContain(
      "whose runner is gone; break it with --break-lock",
    );
    const broke = await run(s, {}, { runId: "new", lock: { who: "bob@desk", breakStale: true } });
    expect(broke.result.status).toBe("ok");
    expect(existsSync(lock)).toBe(false);
  });

  test("--forks holds for rollbacks too: with 1, one machine rolls back at a time", async () => {
    const busy = join(root, "rollback-parallel-busy");
    // Each machine's rollback holds a directory for a moment: two at once and the second one fails.
    const body = `## Change {#change}\n\n\`\`\`sh {on=app}\ntrue\n\`\`\`\n\n\`\`\`rollback {on=app}\nmkdir ${busy} || { echo "another rollback runs"; exit 9; }\nsleep 0.4\nrmdir ${busy}\n\`\`\`\n\n## Fail {#fail}\n\n\`\`\`sh {on=db}\nexit 1\n\`\`\`\n`;
    const t = setup("rollback-parallel", body);
    const { result, events } = await run(t, { rollbackOnFailure: true }, { forks: 1 });
    expect(result.status).toBe("failed");
    const rolled = events.filter((e) => e.type === "rollback-finished" && e.stepId === "change");
    expect(rolled.map((e) => (e as { host: string; ok: boolean }).ok)).toEqual([true, true]);
  });
});
