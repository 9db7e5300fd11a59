import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import {
  autoDecisions,
  check,
  type DecisionSource,
  type EngineEvent,
  loadRunbook,
  openResume,
  plan,
  RunbookError,
  RunbookErrors,
  readRun,
  resume,
  run,
  savedPlan,
} from "../src/api.ts";

const dir = mkdtempSync(join(tmpdir(), "runbook-api-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const home = join(dir, "home");
mkdirSync(home);
const RUNBOOK = join(dir, "deploy.md");
writeFileSync(
  RUNBOOK,
  `---
title: API deploy
roles: [app]
vars:
  target: { default: "${home}" }
---

# Deploy

## Write {#write}

\`\`\`sh {on=app}
echo written > {{ target }}/written
\`\`\`

\`\`\`rollback {on=app}
rm -f {{ target }}/written
\`\`\`

## Optional {#optional}

\`\`\`sh {on=app}
touch {{ target }}/optional
\`\`\`

## Wipe {#wipe}

\`\`\`sh {on=app risk=destructive confirm=wipe}
touch {{ target }}/wiped
\`\`\`
`,
);
const INVENTORY = join(dir, "inv.yaml");
const MACHINE = `api-test-${process.pid}`;
writeFileSync(INVENTORY, `hosts:\n  ${MACHINE}: { transport: local, roles: [app] }\n`);
// A local machine's lock lives in this user's ~/.runbook/lock: a run this file left unfinished (a
// refused destructive step) still holds it. Only a lock of this process is removed.
afterAll(() => {
  const lock = join(homedir(), ".runbook", "lock");
  try {
    if (JSON.parse(readFileSync(join(lock, "info"), "utf8")).pid === process.pid)
      rmSync(lock, { recursive: true, force: true });
  } catch {}
});

describe("the programmatic API", () => {
  test("loadRunbook and plan give what runbook plan shows; bad input throws the runbook's own errors", () => {
    expect(loadRunbook(RUNBOOK).phases[0]?.steps.map((s) => s.id)).toEqual(["write", "optional", "wipe"]);
    const p = plan(RUNBOOK, { inventory: INVENTORY, vars: { target: "/srv/x y" } });
    expect(p.phases[0]?.steps[0]?.targets[0]?.actions[0]).toMatchObject({
      command: "echo written > '/srv/x y'/written\n",
    });
    const broken = join(dir, "broken.md");
    writeFileSync(broken, "---\ntitle: B\nroles: [app]\n---\n## S\n```sh {on=nope}\ntrue\n```\n");
    expect(() => plan(broken, { inventory: INVENTORY })).toThrow(RunbookErrors);
  });

  test("run with the script's own decisions: it skips a step with a reason, types the word, and is journaled", async () => {
    const asked: string[] = [];
    // Only the questions the script cares about; the rest as --yes answers them.
    const decisions: DecisionSource = {
      ...autoDecisions({ who: "deploy-bot", confirm: "wipe" }),
      async beforeStep(step) {
        asked.push(step.id);
        return step.id === "optional" ? { kind: "skip", reason: "not needed here" } : { kind: "run" };
      },
    };
    const events: EngineEvent[] = [];
    const result = await run(plan(RUNBOOK, { inventory: INVENTORY }), {
      inventory: INVENTORY,
      decisions,
      onEvent: (e) => events.push(e),
      stateDir: join(dir, "state"),
    });
    expect(result.status).toBe("ok");
    expect(asked).toEqual(["write", "optional", "wipe"]);
    expect(readFileSync(join(home, "written"), "utf8")).toBe("written\n");
    expect(existsSync(join(home, "optional"))).toBe(false);
    expect(existsSync(join(home, "wiped"))).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: "run-finished", status: "ok" });
    // The journal is the same a CLI run writes: readable back, with who decided what.
    const stored = readRun(join(dir, "state"), result.runId);
    expect(stored.state.steps.optional?.skipReason).toBe("not needed here");
    expect(readFileSync(join(result.journalDir ?? "", "journal.jsonl"), "utf8")).toContain(
      '"by":"deploy-bot"',
    );
  });

  test("without decisions it behaves like --yes: a destructive step needs the confirm word", async () => {
    rmSync(join(home, "wiped"), { force: true });
    const p = plan(RUNBOOK, { inventory: INVENTORY });
    // An aborted run keeps its machines locked for its resume: these two runs do not lock.
    const refused = await run(p, { inventory: INVENTORY, stateDir: false, lock: false });
    expect(refused.status).toBe("aborted");
    expect(refused.refused).toBe(true);
    expect(existsSync(join(home, "wiped"))).toBe(false);
    const confirmed = await run(p, { inventory: INVENTORY, stateDir: false, lock: false, confirm: "wipe" });
    expect(confirmed.status).toBe("ok");
    expect(existsSync(join(home, "wiped"))).toBe(true);
  });

  test("check gives every runbook of a directory with its problems, and plans against an inventory", () => {
    const books = join(dir, "books");
    mkdirSync(books, { recursive: true });
    writeFileSync(join(books, "good.md"), readFileSync(RUNBOOK, "utf8"));
    writeFileSync(
      join(books, "bad.md"),
      "---\ntitle: B\nroles: [app]\n---\n## S\n```sh {on=nope}\ntrue\n```\n",
    );
    const checked = check([books], {});
    expect(checked.map((c) => [c.file.endsWith("bad.md"), c.errors.length > 0])).toEqual([
      [true, true],
      [false, false],
    ]);
    expect(checked[0]?.errors[0]?.message).toContain("nope");
    expect(() => check([join(dir, "home")])).toThrow(RunbookError);
  });

  test("a saved plan runs only while its runbook and inventory are as reviewed", () => {
    const file = join(dir, "saved.json");
    const p = plan(RUNBOOK, { inventory: INVENTORY });
    writeFileSync(file, JSON.stringify(p));
    expect(savedPlan(file).plan.hash).toBe(p.hash);
    const changed = join(dir, "changed.md");
    writeFileSync(changed, readFileSync(RUNBOOK, "utf8"));
    const q = plan(changed, { inventory: INVENTORY });
    writeFileSync(file, JSON.stringify(q));
    writeFileSync(changed, readFileSync(RUNBOOK, "utf8").replace("echo written", "echo changed"));
    expect(() => savedPlan(file)).toThrow(/no longer matches/);
  });

  test("resume continues a stopped run from its journal; a finished one has nothing to resume", async () => {
    const state = join(dir, "resume-state");
    rmSync(join(home, "wiped"), { force: true });
    const env = { ...process.env, RUNBOOK_STATE_DIR: state };
    // The operator stops at the destructive step: what ran before it stays done.
    const stopAtWipe: DecisionSource = {
      ...autoDecisions({ who: "deploy-bot", confirm: "wipe" }),
      async beforeStep(step) {
        return step.id === "wipe" ? { kind: "abort", reason: "not now" } : { kind: "run" };
      },
    };
    const first = await run(plan(RUNBOOK, { inventory: INVENTORY }), {
      inventory: INVENTORY,
      env,
      lock: false,
      decisions: stopAtWipe,
    });
    expect(first.status).toBe("aborted");
    const stored = await openResume(first.runId, { env });
    if ("ended" in stored) throw new Error("the stopped run was taken for finished");
    expect(stored.state.steps.write?.status).toBe("ok");
    const events: EngineEvent[] = [];
    const second = await resume(first.runId, {
      env,
      lock: false,
      confirm: "wipe",
      onEvent: (e) => events.push(e),
    });
    if ("ended" in second) throw new Error("resume did not run");
    expect(second.status).toBe("ok");
    expect(existsSync(join(home, "wiped"))).toBe(true);
    // What finished before is not run again.
    const ran = events.flatMap((e) => (e.type === "step-started" ? [e.stepId] : []));
    expect(ran).not.toContain("write");
    expect(ran).toContain("wipe");
    expect(await resume(first.runId, { env, lock: false })).toEqual({ ended: first.runId });
  });

  test("planning and checking load no transport, none of the run machinery, and none of ssh2, zx or ink", async () => {
    const script = join(dir, "light.ts");
    writeFileSync(
      script,
      `import { check, plan } from ${JSON.stringify(join(import.meta.dir, "..", "src", "api.ts"))};
plan(${JSON.stringify(RUNBOOK)}, { inventory: ${JSON.stringify(INVENTORY)} });
check([${JSON.stringify(RUNBOOK)}]);
const loaded = Object.keys(require.cache).filter((f) => /[/]src[/](transport[/]|engine[/](run-plan|session|host-step)[.])/.test(f) || /[/]node_modules[/](ssh2|zx|ink)[/]/.test(f));
console.log(JSON.stringify(loaded));
`,
    );
    const proc = Bun.spawnSync(["bun", script], { stdout: "pipe", stderr: "pipe" });
    expect(proc.stderr.toString()).toBe("");
    expect(JSON.parse(proc.stdout.toString())).toEqual([]);
  });
});
