import type { PlannedStep } from "../model/plan.ts";
import type { Decision } from "./events.ts";
import type { ProcessCheck } from "./process-check.ts";

/**
 * Everything the engine asks a person. The terminal UI, `--yes` and scripts each supply one; the engine
 * never reads a key itself.
 */
export interface DecisionSource {
  /** Who decides, journaled with every decision (user@host, or "--yes by user@host"). */
  readonly who: string;
  /** Before a step runs: run, skip (with a reason) or abort. */
  beforeStep(step: PlannedStep): Promise<Decision>;
  /**
   * A destructive step: the operator must type `step.confirm`; returns what was typed, or undefined to
   * go back. `attempt` is 1, then more after a wrong word (at most MAX_WORD_ATTEMPTS).
   */
  confirmWord(step: PlannedStep, attempt: number): Promise<string | undefined>;
  /**
   * Before anything runs: can this source confirm that destructive step when it comes? A headless run
   * without the step's word is refused before step 1, not halfway (false). Undefined: a person will be
   * asked when it comes.
   */
  canConfirm?(step: PlannedStep): boolean;
  /** Some machines failed: retry them, roll the step back, skip on, or abort. */
  afterFailure(step: PlannedStep, failedHosts: string[]): Promise<Decision>;
  /** On abort: which completed steps to roll back, offered newest first. */
  rollbackOnAbort(completed: PlannedStep[]): Promise<PlannedStep[]>;
  /**
   * A machine where the step's command may or may not have run (an earlier runner died, or the
   * connection was lost while it ran), with what the runner found there: run it again there, count
   * it as done, or stop. Asked per machine, and never answered silently. A command still running
   * there (or a machine that cannot be checked) is never run again, whatever the answer.
   */
  resolveUnknown(step: PlannedStep, host: string, check: ProcessCheck): Promise<"rerun" | "done" | "abort">;
  /** A secret the plan needs; never journaled. */
  secret(name: string): Promise<string | undefined>;
}

/** Wrong confirmation words typed before a destructive step is refused. */
export const MAX_WORD_ATTEMPTS = 3;

/** Who made a decision that no person made (a step no machine matches is skipped). */
export const RUNNER = "the runner";

export interface AutoDecisionOptions {
  who: string;
  /** The words given with --confirm: destructive steps whose confirmation word is one of them may run. */
  confirm?: string | string[];
  /** What to do with machines in an unknown state on resume (default: stop and ask for a person). */
  unknown?: "rerun" | "done" | "abort";
  /** Roll back the failed step and then every completed one, instead of stopping with the hint. */
  rollbackOnFailure?: boolean;
  /** Secrets from the environment (RUNBOOK_SECRET_NAME). */
  secrets?: Record<string, string>;
}

/** `--yes`: confirms read and change steps; destructive ones only with the right `--confirm WORD`. */
export function autoDecisions(opts: AutoDecisionOptions): DecisionSource {
  const words = opts.confirm === undefined ? [] : Array.isArray(opts.confirm) ? opts.confirm : [opts.confirm];
  return {
    who: opts.who,
    async beforeStep() {
      return { kind: "run" };
    },
    async confirmWord(step) {
      // No --confirm is a wrong word, not a step back: a headless run must not loop.
      return words.find((w) => w === step.confirm) ?? words[0] ?? "";
    },
    canConfirm(step) {
      return step.confirm !== undefined && words.includes(step.confirm);
    },
    async afterFailure() {
      return opts.rollbackOnFailure ? { kind: "rollback" } : { kind: "abort" };
    },
    async resolveUnknown() {
      // What --unknown says; the engine never runs again a command that may still be running.
      return opts.unknown ?? "abort";
    },
    async rollbackOnAbort(completed) {
      return opts.rollbackOnFailure ? completed : [];
    },
    async secret(name) {
      return opts.secrets?.[name];
    },
  };
}
