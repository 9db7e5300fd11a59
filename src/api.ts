/**
 * The one door: what the CLI does, for the CLI itself and for scripts and other programs.
 *
 *   import { loadRunbook, plan, run } from "runbook";
 *   const p = plan("runbooks/rocketmq/single-master.md", { inventory: "inv.yaml", vars: { broker_heap: "512m" } });
 *   const result = await run(p, { inventory: "inv.yaml", decisions: myDecisions, onEvent: console.log });
 *
 * Decisions come from the caller (a DecisionSource); without one, `run` behaves like `--yes`: read and
 * change steps run, destructive ones only when `confirm` is the runbook's word, unknown host keys are
 * refused. Every run is journaled (resumable with `resume`) and locks its machines.
 *
 * Planning and checking load nothing of the engine or the transports; a run loads them when it starts.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { DecisionSource } from "./engine/decisions.ts";
import type { EngineEvent } from "./engine/events.ts";
import type { RunResult } from "./engine/run-result.ts";
import type { RunState } from "./engine/state.ts";
import { loadRunbook } from "./format/load-runbook.ts";
import { isDirectory, runbooksUnder } from "./format/runbook-files.ts";
import { type ImportResult, importDocument as importText } from "./import/import-document.ts";
import { defaultInventory } from "./inventory/default-inventory.ts";
import { loadInventory } from "./inventory/load-inventory.ts";
import { RunbookError, RunbookErrors } from "./model/errors.ts";
import type { Inventory } from "./model/inventory.ts";
import type { Plan } from "./model/plan.ts";
import type { Runbook, RunbookWarning } from "./model/runbook.ts";
import { buildPlan } from "./plan/build-plan.ts";

export type { DecisionSource } from "./engine/decisions.ts";
export { autoDecisions } from "./engine/decisions.ts";
export type { Decision, EngineEvent, HostStatus, RunStatus } from "./engine/events.ts";
export { listRuns, readRun } from "./engine/journal.ts";
export type { RunResult } from "./engine/run-result.ts";
export type { RunState } from "./engine/state.ts";
export type { Finding, ImportResult } from "./import/import-document.ts";
export { formatFindings } from "./import/import-document.ts";
export { RunbookError, RunbookErrors } from "./model/errors.ts";
export type { Inventory } from "./model/inventory.ts";
export type { Plan, PlannedStep } from "./model/plan.ts";
export type { Runbook, RunbookWarning } from "./model/runbook.ts";
export { loadInventory, loadRunbook };

export interface PlanInput {
  /** An inventory or its file (default: $RUNBOOK_INVENTORY, else the shipped local inventory). */
  inventory?: Inventory | string;
  /** Values for the runbook's variables, as --var gives them. */
  vars?: Record<string, string>;
  /** Only these machines, inventory groups or roles. */
  limit?: string[];
  env?: Record<string, string | undefined>;
  /** Relative paths are read from here (default: the process's working directory). */
  cwd?: string;
}

/** Runbook (or its file) + inventory + variables -> the plan `runbook plan` shows. Throws RunbookError(s). */
export function plan(runbook: Runbook | string, input: PlanInput = {}): Plan {
  const rb =
    typeof runbook === "string" ? loadRunbook(resolve(input.cwd ?? process.cwd(), runbook)) : runbook;
  return buildPlan(rb, inventoryOf(input), { vars: input.vars, limit: input.limit });
}

/** The inventory a plan input names, or the default one. */
export function inventoryOf(input: Pick<PlanInput, "inventory" | "env" | "cwd"> = {}): Inventory {
  const cwd = input.cwd ?? process.cwd();
  const inv = input.inventory;
  if (inv === undefined) return loadInventory(defaultInventory(input.env ?? process.env, cwd));
  return typeof inv === "string" ? loadInventory(resolve(cwd, inv)) : inv;
}

/** A saved plan planned again from its runbook and inventory, as they are now. */
export function replan(saved: Plan): { plan: Plan; inventory: Inventory; runbook: Runbook } {
  const inventory = loadInventory(saved.inventory.file);
  const runbook = loadRunbook(saved.runbook.file);
  return {
    plan: buildPlan(runbook, inventory, { vars: saved.overrides, limit: saved.limit }),
    inventory,
    runbook,
  };
}

/**
 * A plan saved by `runbook plan --out`, held to what was reviewed: refused (RunbookError "plan") when
 * its runbook or inventory changed since.
 */
export function savedPlan(
  file: string,
  input: { cwd?: string } = {},
): { plan: Plan; inventory: Inventory; runbook: Runbook } {
  let saved: Plan;
  try {
    saved = JSON.parse(readFileSync(resolve(input.cwd ?? process.cwd(), file), "utf8")) as Plan;
  } catch (e) {
    throw new RunbookError(
      "io",
      `cannot read the saved plan ${file}: ${(e as Error).message}`,
      undefined,
      "pass a file written by runbook plan --out",
    );
  }
  const fresh = replan(saved);
  if (fresh.plan.hash !== saved.hash) {
    throw new RunbookError(
      "plan",
      `the saved plan ${file} no longer matches its runbook and inventory`,
      undefined,
      "something changed since it was reviewed: run `runbook plan` again, review it, and save a new plan",
    );
  }
  return { ...fresh, plan: saved };
}

export interface Checked {
  file: string;
  runbook?: Runbook;
  errors: RunbookError[];
  /** What does not stop the runbook (GitBook keys it does not use), errors or not. */
  warnings: RunbookWarning[];
}

/** Every runbook of `paths` (a directory stands for the runbooks under it), each checked; with an inventory, planned too. */
export function check(
  paths: string[],
  input: { inventory?: Inventory; vars?: Record<string, string> } = {},
): Checked[] {
  const files = paths.flatMap((p) => (isDirectory(p) ? runbooksUnder(p) : [p]));
  if (files.length === 0) {
    throw new RunbookError(
      "usage",
      `no runbooks under ${paths.join(", ")}`,
      undefined,
      "pass runbook files or a directory that has some",
    );
  }
  return files.map((file) => {
    let runbook: Runbook | undefined;
    try {
      runbook = loadRunbook(file);
      if (input.inventory) buildPlan(runbook, input.inventory, { vars: input.vars ?? {} });
      return { file, runbook, errors: [], warnings: runbook.warnings ?? [] };
    } catch (e) {
      const errors = e instanceof RunbookErrors ? e.errors : e instanceof RunbookError ? [e] : undefined;
      if (!errors) throw e;
      const warnings = runbook?.warnings ?? (e instanceof RunbookErrors ? e.warnings : []);
      return { file, errors, warnings };
    }
  });
}

/**
 * A document people follow by hand (a GitBook page, a wiki export, a README) as a runbook to review:
 * nothing runs. `roles`: `LABEL=role` (`A=broker-a`). `output`: where the runbook will be written (its
 * includes are relative to it). Throws RunbookError "io" (unreadable), "usage", "import".
 */
export function importDocument(
  file: string,
  input: { output?: string; roles?: string[]; cwd?: string } = {},
): ImportResult {
  const cwd = input.cwd ?? process.cwd();
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new RunbookError(
      "io",
      `cannot read ${file}: ${(e as Error).message}`,
      undefined,
      "pass a Markdown file",
    );
  }
  const output = input.output === undefined ? undefined : resolve(cwd, input.output);
  return importText(path, text, { output, roles: input.roles });
}

export interface RunInput {
  /** The inventory the plan was made with (it says how to reach each machine). */
  inventory: Inventory | string;
  /**
   * Who answers the run's questions; default: like --yes, by "api by user@host". Unknown host keys and
   * key passphrases are asked here too (hostKey, passphrase).
   */
  decisions?: DecisionSource;
  /** With the default decisions: the words that let destructive steps run. */
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
  /** Machines acted on at once: commands, logins, rollbacks (default 16). */
  forks?: number;
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
  const { forks } = input;
  if (forks !== undefined && (!Number.isSafeInteger(forks) || forks < 1))
    throw new RunbookError("usage", `forks ${forks}: expected a whole number of machines, 1 or more`);
  const { startRun } = await import("./api-run.ts");
  return startRun(p, { ...input, inventory: inventoryOf({ inventory: input.inventory, env: input.env }) });
}

export interface ResumableRun {
  runId: string;
  plan: Plan;
  inventory: Inventory;
  runbook: Runbook;
  /** The state its journal gives, and its events (a screen shows their output again). */
  state: RunState;
  events: EngineEvent[];
}

/**
 * Run `runId` (the newest when undefined) as its journal left it, ready to be continued. Refused when
 * its runner is alive (another terminal), and when its runbook or inventory changed since it started.
 * `ended`: it already finished ok; there is nothing to resume.
 */
export async function openResume(
  runId: string | undefined,
  input: { env?: Record<string, string | undefined> } = {},
): Promise<ResumableRun | { ended: string }> {
  const { openStoredRun } = await import("./api-run.ts");
  return openStoredRun(runId, input.env ?? process.env);
}

/** Continues a run from its journal, per machine: what finished is not run again (see openResume). */
export async function resume(
  runId: string | undefined,
  input: Omit<RunInput, "inventory" | "resumeFrom" | "runId">,
): Promise<RunOutcome | { ended: string }> {
  const stored = await openResume(runId, input);
  if ("ended" in stored) return stored;
  return run(stored.plan, {
    ...input,
    inventory: stored.inventory,
    runId: stored.runId,
    resumeFrom: stored.state,
  });
}
