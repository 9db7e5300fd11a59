/**
 * The programmatic API: what the CLI does, for scripts and other programs.
 *
 *   import { loadRunbook, plan, run } from "runbook";
 *   const p = plan("runbooks/rocketmq/single-master.md", { inventory: "inv.yaml", vars: { broker_heap: "512m" } });
 *   const result = await run(p, { inventory: "inv.yaml", decisions: myDecisions, onEvent: console.log });
 *
 * Decisions come from the caller (a DecisionSource); without one, `run` behaves like `--yes`: read and
 * change steps run, destructive ones only when `confirm` is the runbook's word. Every run is journaled
 * (resumable with `runbook resume`) and locks its machines, as from the command line.
 */
import { hostname } from "node:os";
import { resolve } from "node:path";
import { defaultInventory } from "./cli/paths.ts";
import { autoDecisions, type DecisionSource } from "./engine/decisions.ts";
import type { EngineEvent } from "./engine/events.ts";
import { claimRun, Journal, newRunId, releaseRun, stateDir } from "./engine/journal.ts";
import { type RunResult, runPlan } from "./engine/run-plan.ts";
import { thisRunner } from "./engine/runner-alive.ts";
import type { RunState } from "./engine/state.ts";
import { loadRunbook } from "./format/load-runbook.ts";
import { loadInventory } from "./inventory/load-inventory.ts";
import { RunbookError, RunbookErrors } from "./model/errors.ts";
import type { Inventory } from "./model/inventory.ts";
import type { Plan } from "./model/plan.ts";
import type { Runbook } from "./model/runbook.ts";
import { buildPlan } from "./plan/build-plan.ts";
import { type ConnectOptions, connectTransport } from "./transport/connect.ts";
import { checkIdentities } from "./transport/identity-check.ts";
import { rememberPassphrases } from "./transport/ssh/ssh-transport.ts";
import { currentUser } from "./util/current-user.ts";

export type { DecisionSource } from "./engine/decisions.ts";
export { autoDecisions } from "./engine/decisions.ts";
export type { Decision, EngineEvent, HostStatus, RunStatus } from "./engine/events.ts";
export { readRun } from "./engine/journal.ts";
export type { RunState } from "./engine/state.ts";
export { RunbookError, RunbookErrors } from "./model/errors.ts";
export type { Inventory } from "./model/inventory.ts";
export type { Plan, PlannedStep } from "./model/plan.ts";
export type { Runbook } from "./model/runbook.ts";
export { loadInventory, loadRunbook };

export interface PlanInput {
  /** An inventory or its file (default: $RUNBOOK_INVENTORY, else the shipped local inventory). */
  inventory?: Inventory | string;
  /** Values for the runbook's variables, as --var gives them. */
  vars?: Record<string, string>;
  /** Only these machines, inventory groups or roles. */
  limit?: string[];
}

/** Runbook (or its file) + inventory + variables -> the plan `runbook plan` shows. Throws RunbookError(s). */
export function plan(runbook: Runbook | string, input: PlanInput = {}): Plan {
  const rb = typeof runbook === "string" ? loadRunbook(resolve(runbook)) : runbook;
  return buildPlan(rb, inventoryOf(input.inventory), { vars: input.vars, limit: input.limit });
}

export interface RunInput {
  /** The inventory the plan was made with (it says how to reach each machine). */
  inventory: Inventory | string;
  /** Who answers the engine's questions; default: like --yes, by "api by user@host". */
  decisions?: DecisionSource;
  /** With the default decisions: the word that lets destructive steps run. */
  confirm?: string | string[];
  /** Every event of the run, in order (secrets already masked). */
  onEvent?(event: EngineEvent): void;
  /** Aborting stops the running commands on every machine; the run stays resumable. */
  signal?: AbortSignal;
  /** Where the journal goes (default: $RUNBOOK_STATE_DIR or ~/.local/state/runbook); false: none. */
  stateDir?: string | false;
  runId?: string;
  /** Lock the plan's machines (default true); breakStale takes over locks whose runner died here. */
  lock?: boolean | { breakStale: boolean };
  /** Unknown host keys and key passphrases (default: unknown keys refused). */
  connect?: ConnectOptions;
  parallel?: number;
  from?: string;
  only?: string[];
  /** The state of an interrupted run of the same plan (see readRun), to continue it per machine. */
  resumeFrom?: RunState;
  env?: Record<string, string | undefined>;
}

export interface RunOutcome extends RunResult {
  runId: string;
  /** The run's journal directory (journal.jsonl and plan.json), unless stateDir was false. */
  journalDir?: string;
}

/** Runs a plan to the end (or until a step fails or the decisions abort) and says how it went. */
export async function run(p: Plan, input: RunInput): Promise<RunOutcome> {
  const inventory = inventoryOf(input.inventory);
  // One question (or one look at RUNBOOK_SSH_PASSPHRASE) per key file, for the whole run.
  const passphrase = input.connect?.passphrase && rememberPassphrases(input.connect.passphrase);
  const connect: ConnectOptions = { ...input.connect, passphrase };
  // Before the first login: what the inventory gets wrong about how to log in (exit 2, with file:line).
  const machines = p.hosts.flatMap((h) => inventory.hosts.filter((m) => m.name === h.name));
  const wrong = await checkIdentities(machines, passphrase);
  if (wrong.length > 0) throw new RunbookErrors(wrong);
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
      connect: async (host) => {
        const machine = inventory.hosts.find((h) => h.name === host.name);
        if (!machine) throw new RunbookError("plan", `machine ${host.name} is no longer in the inventory`);
        return connectTransport(machine, connect);
      },
      decisions: input.decisions ?? autoDecisions({ who: `api by ${me}`, confirm: input.confirm }),
      emit: (e) => {
        journal?.append(e);
        input.onEvent?.(e);
      },
      signal: input.signal,
      parallel: input.parallel,
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

/** Default as on the command line: $RUNBOOK_INVENTORY, else the shipped local inventory. */
function inventoryOf(inv: Inventory | string | undefined): Inventory {
  if (inv === undefined) return loadInventory(defaultInventory(process.env, process.cwd()));
  return typeof inv === "string" ? loadInventory(resolve(inv)) : inv;
}
