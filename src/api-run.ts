/**
 * What a run needs beyond planning: the engine, the journal and the transports. Loaded by api.ts only
 * when a run starts, so planning and checking stay light.
 */
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import type { ResumableRun, RunInput, RunOutcome } from "./api.ts";
import { replan } from "./api.ts";
import { autoDecisions } from "./engine/decisions.ts";
import {
  claimRun,
  Journal,
  listRuns,
  liveClaim,
  newRunId,
  readRun,
  releaseRun,
  runningError,
  stateDir,
} from "./engine/journal.ts";
import { runPlan } from "./engine/run-plan.ts";
import { thisRunner } from "./engine/runner-alive.ts";
import { RunbookError } from "./model/errors.ts";
import type { Inventory } from "./model/inventory.ts";
import type { Plan } from "./model/plan.ts";
import { connectTransport } from "./transport/connect.ts";
import { currentUser } from "./util/current-user.ts";

export async function startRun(p: Plan, input: RunInput & { inventory: Inventory }): Promise<RunOutcome> {
  const inventory = input.inventory;
  const me = `${currentUser()}@${hostname()}`;
  const runId = input.runId ?? newRunId(p.runbook.title);
  const journal =
    input.stateDir === false
      ? undefined
      : new Journal(input.stateDir ?? stateDir(input.env ?? process.env), runId, p);
  const lock = input.lock ?? true;
  const claim = { ...thisRunner(), who: me, since: new Date().toISOString() };
  if (journal) {
    try {
      claimRun(journal.dir, claim);
    } catch (e) {
      journal.close();
      throw e;
    }
  }
  try {
    const result = await runPlan({
      plan: p,
      runId,
      // The transport asks about host keys and passphrases through the engine, which journals it.
      connect: async (host, questions, jumps) => {
        const machine = inventory.hosts.find((h) => h.name === host.name);
        if (!machine) throw new RunbookError("plan", `machine ${host.name} is no longer in the inventory`);
        return connectTransport(machine, {
          decideHostKey: questions.hostKey,
          passphrase: questions.passphrase,
          jumps,
        });
      },
      decisions: input.decisions ?? autoDecisions({ who: `api by ${me}`, confirm: input.confirm }),
      emit: (e) => {
        journal?.append(e);
        input.onEvent?.(e);
      },
      signal: input.signal,
      forks: input.forks,
      from: input.from,
      only: input.only,
      resumeFrom: input.resumeFrom,
      by: me,
      lock: lock === false ? undefined : { who: me, breakStale: lock === true ? false : lock.breakStale },
    });
    return { ...result, runId, journalDir: journal?.dir };
  } finally {
    if (journal) releaseRun(journal.dir, claim);
    journal?.close();
  }
}

export function openStoredRun(
  runId: string | undefined,
  env: Record<string, string | undefined>,
): ResumableRun | { ended: string } {
  const root = stateDir(env);
  const id = runId ?? listRuns(root).at(-1);
  if (!id || !existsSync(resolve(root, "runs", id, "journal.jsonl"))) {
    throw new RunbookError(
      "usage",
      runId ? `no run ${runId} in ${root}` : `no runs in ${root}`,
      undefined,
      "list runs with: runbook log",
    );
  }
  // Before anything else: a run whose runner is alive (another terminal) is never taken over.
  const dir = resolve(root, "runs", id);
  const holder = liveClaim(dir, thisRunner());
  if (holder) throw runningError(dir, holder);
  const stored = readRun(root, id);
  // The machines may have changed since: refuse unless the same plan still comes out.
  const fresh = replan(stored.plan);
  if (fresh.plan.hash !== stored.plan.hash) {
    throw new RunbookError(
      "plan",
      `the runbook or inventory changed since run ${id} started (plan ${stored.plan.hash.slice(0, 12)}, now ${fresh.plan.hash.slice(0, 12)})`,
      undefined,
      "review the change with runbook plan, then start a new run",
    );
  }
  if (stored.state.status === "ok") return { ended: id };
  return {
    runId: id,
    plan: stored.plan,
    inventory: fresh.inventory,
    runbook: fresh.runbook,
    state: stored.state,
    events: stored.events,
  };
}
