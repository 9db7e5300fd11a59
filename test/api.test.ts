import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import {
  autoDecisions,
  type DecisionSource,
  type EngineEvent,
  loadRunbook,
  plan,
  RunbookErrors,
  readRun,
  run,
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
});
