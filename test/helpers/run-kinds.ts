// Every kind of run the engine can end in, made for real (local machines, a journal on disk): for the
// golden event streams and for the journal-replay test.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import {
  autoDecisions,
  type DecisionSource,
  type EngineEvent,
  openResume,
  plan,
  type RunOutcome,
  run,
} from "../../src/api.ts";
import { currentUser } from "../../src/util/current-user.ts";

export type RunKind =
  | "ok"
  | "failed"
  | "failure-then-retry"
  | "rollback"
  | "aborted"
  | "refused"
  | "keep-going"
  | "empty"
  | "resumed";

export const RUN_KINDS: readonly RunKind[] = [
  "ok",
  "failed",
  "failure-then-retry",
  "rollback",
  "aborted",
  "refused",
  "keep-going",
  "empty",
  "resumed",
];

export interface MadeRun {
  /** The run as it ended, live (for a resumed run: its second start). */
  outcome: RunOutcome;
  /** Every event of the run's journal, both starts of a resumed run. */
  events: EngineEvent[];
  stateDir: string;
  dir: string;
}

const FRONT = (dir: string) => `---
title: Run kinds
roles: [app]
vars:
  dir: { default: "${dir}" }
---

# Deploy
`;

/** Two steps on two machines: write a file on each, then read it back. */
const WRITE_THEN_READ = `
## Write the file {#write}

\`\`\`sh {on=app}
echo "written on {{ host.name }}" > {{ dir }}/{{ host.name }}.txt
\`\`\`

\`\`\`rollback {on=app}
rm -f {{ dir }}/{{ host.name }}.txt
\`\`\`

## Read it back {#read}

\`\`\`sh {on=app risk=read}
cat {{ dir }}/{{ host.name }}.txt
\`\`\`
`;

/** The second step fails on m2 the first time only. */
const FLAKY = `
## Write the file {#write}

\`\`\`sh {on=app}
echo "written on {{ host.name }}" > {{ dir }}/{{ host.name }}.txt
\`\`\`

\`\`\`rollback {on=app}
rm -f {{ dir }}/{{ host.name }}.txt
\`\`\`

## Start the service {#start}

\`\`\`sh {on=app}
if [ {{ host.name }} = m2 ] && [ ! -e {{ dir }}/tried ]; then touch {{ dir }}/tried; echo "port 8080 in use" >&2; exit 3; fi
echo "started on {{ host.name }}"
\`\`\`

\`\`\`rollback {on=app}
echo "stopped on {{ host.name }}"
\`\`\`
`;

const KEEP_GOING = `
## Check the disk {#disk}

\`\`\`sh {on=app risk=read keep-going}
if [ {{ host.name }} = m2 ]; then echo "disk 97% full"; exit 1; fi
echo "disk 40% full"
\`\`\`

## Check the clock {#clock}

\`\`\`sh {on=app risk=read}
echo "clock in sync"
\`\`\`
`;

const NOT_APPLICABLE = `
## Check the slave {#slave}

\`\`\`sh {on=app risk=read}
not_applicable "no slave on {{ host.name }}"
\`\`\`
`;

const DESTRUCTIVE = `
## Write the file {#write}

\`\`\`sh {on=app}
echo "written on {{ host.name }}" > {{ dir }}/{{ host.name }}.txt
\`\`\`

## Wipe it {#wipe}

\`\`\`sh {on=app risk=destructive confirm=wipe-it}
rm -f {{ dir }}/{{ host.name }}.txt
\`\`\`
`;

function bodyOf(kind: RunKind): string {
  switch (kind) {
    case "ok":
    case "aborted":
    case "resumed":
      return WRITE_THEN_READ;
    case "failed":
    case "failure-then-retry":
    case "rollback":
      return FLAKY;
    case "keep-going":
      return KEEP_GOING;
    case "empty":
      return NOT_APPLICABLE;
    case "refused":
      return DESTRUCTIVE;
  }
}

/** Who the decisions are journaled as: stable across machines, so golden files are too. */
export const WHO = "--yes by tester";

function decisionsOf(kind: RunKind, start: 1 | 2): DecisionSource {
  const yes = autoDecisions({ who: WHO });
  switch (kind) {
    case "failure-then-retry":
      return { ...yes, afterFailure: async () => ({ kind: "retry" }) };
    case "rollback":
      return autoDecisions({ who: WHO, rollbackOnFailure: true });
    case "aborted":
      return {
        ...yes,
        beforeStep: async (step) =>
          step.id === "read" ? { kind: "abort", reason: "not now" } : { kind: "run" },
      };
    case "resumed":
      return start === 1
        ? {
            ...yes,
            beforeStep: async (step) =>
              step.id === "read" ? { kind: "abort", reason: "a break" } : { kind: "run" },
          }
        : yes;
    case "ok":
    case "failed":
    case "refused":
    case "keep-going":
    case "empty":
      return yes;
  }
}

/**
 * Makes a run of this kind in a fresh directory (removed by `cleanup`). Machines run one at a time, so
 * the event stream comes out in the same order every time.
 */
export async function makeRun(kind: RunKind): Promise<MadeRun & { cleanup(): void }> {
  const dir = mkdtempSync(join(tmpdir(), `runbook-kind-${kind}-`));
  const stateDir = join(dir, "state");
  mkdirSync(join(dir, "files"));
  const runbook = join(dir, "kind.md");
  writeFileSync(runbook, FRONT(join(dir, "files")) + bodyOf(kind));
  const inventory = join(dir, "inv.yaml");
  writeFileSync(
    inventory,
    "hosts:\n  m1: { transport: local, roles: [app] }\n  m2: { transport: local, roles: [app] }\n",
  );
  const events: EngineEvent[] = [];
  const common = {
    inventory,
    stateDir,
    lock: false as const,
    forks: 1,
    onEvent: (e: EngineEvent) => events.push(e),
    env: { ...process.env, RUNBOOK_STATE_DIR: stateDir },
  };
  let outcome = await run(plan(runbook, { inventory }), {
    ...common,
    runId: `golden-${kind}`,
    decisions: decisionsOf(kind, 1),
  });
  if (kind === "resumed") {
    const stored = await openResume(outcome.runId, { env: common.env });
    if ("ended" in stored) throw new Error("the first start of a resumed run ended ok");
    outcome = await run(stored.plan, {
      ...common,
      runId: stored.runId,
      resumeFrom: stored.state,
      decisions: decisionsOf(kind, 2),
    });
  }
  return { outcome, events, stateDir, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * An event stream as it reads in review: times, durations, process ids and the run's own directory
 * taken out; question ids numbered in order.
 */
export function normalized(events: readonly EngineEvent[], dir: string): string {
  const me = `${currentUser()}@${hostname()}`;
  const questions = new Map<string, string>();
  const qid = (id: string) => {
    if (!questions.has(id)) questions.set(id, `q${questions.size + 1}`);
    return questions.get(id) ?? id;
  };
  return events
    .map((e) => {
      const o: Record<string, unknown> = { ...e };
      delete o.at;
      if ("durationMs" in o) o.durationMs = "<ms>";
      if ("timeoutMs" in o) o.timeoutMs = "<ms>";
      if (e.type === "run-started") o.planHash = "<plan>";
      if (e.type === "command-started") Object.assign(o, { pid: "<pid>", id: "<id>" });
      if (e.type === "question") o.id = qid(e.id);
      if (e.type === "decision" && e.question) o.question = qid(e.question);
      return JSON.stringify(o).replaceAll(dir, "<dir>").replaceAll(me, "<me>");
    })
    .join("\n")
    .concat("\n");
}

/** The line reporter's text as it reads in review: durations, the plan's hash and the directory out. */
export function normalizedLines(text: string, dir: string): string {
  const me = `${currentUser()}@${hostname()}`;
  return text
    .replaceAll(dir, "<dir>")
    .replaceAll(me, "<me>")
    .replace(/\(\d+\.\ds\)/g, "(N.Ns)")
    .replace(/plan [0-9a-f]{16}/g, "plan <plan>");
}
