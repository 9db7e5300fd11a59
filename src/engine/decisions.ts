import type { PlannedStep } from "../model/plan.ts";
import type { Decision } from "./events.ts";
import type { ProcessCheck } from "./process-check.ts";
import type { Question } from "./questions.ts";

/** The question being answered: the engine journals it as an event before it asks (see Asker). */
export interface Asked {
  id: string;
}

export type HostKeyAsked = Extract<Question, { kind: "host-key" }>;
export type PassphraseAsked = Extract<Question, { kind: "passphrase" }>;
export type BecomePasswordAsked = Extract<Question, { kind: "become-password" }>;

/**
 * Everything the engine asks. The terminal UI, `--yes` and scripts each supply one; the engine never
 * reads a key itself, and every question and its answer is an event of the run (never a secret's or
 * a passphrase's value).
 */
export interface DecisionSource {
  /** Who decides, journaled with every decision (user@host, or "--yes by user@host"). */
  readonly who: string;
  /** Before a step runs: run, skip (with a reason) or abort. */
  beforeStep(step: PlannedStep, asked?: Asked): Promise<Decision>;
  /**
   * A destructive step: the operator must type `step.confirm`; returns what was typed, or undefined to
   * go back. `attempt` is 1, then more after a wrong word (at most MAX_WORD_ATTEMPTS).
   */
  confirmWord(step: PlannedStep, attempt: number, asked?: Asked): Promise<string | undefined>;
  /**
   * Before anything runs: can this source confirm that destructive step when it comes? A headless run
   * without the step's word is refused before step 1, not halfway (false). Undefined: a person will be
   * asked when it comes.
   */
  canConfirm?(step: PlannedStep): boolean;
  /** Some machines failed: retry them, roll the step back, skip on, or abort. */
  afterFailure(step: PlannedStep, failedHosts: string[], asked?: Asked): Promise<Decision>;
  /** On abort: which completed steps to roll back, offered newest first. */
  rollbackOnAbort(completed: PlannedStep[], asked?: Asked): Promise<PlannedStep[]>;
  /**
   * A machine where the step's command may or may not have run (an earlier runner died, or the
   * connection was lost while it ran), with what the runner found there: run it again there, count
   * it as done, or stop. Asked per machine, and never answered silently. A command still running
   * there (or a machine that cannot be checked) is never run again, whatever the answer.
   */
  resolveUnknown(
    step: PlannedStep,
    host: string,
    check: ProcessCheck,
    asked?: Asked,
  ): Promise<"rerun" | "done" | "abort">;
  /** A secret the plan needs; never journaled. */
  secret(name: string, asked?: Asked): Promise<string | undefined>;
  /** A machine's host key is not in known_hosts: true accepts it (it is then added there). */
  hostKey?(q: HostKeyAsked, asked?: Asked): Promise<boolean>;
  /** The passphrase of an encrypted key file; undefined when none can be had. */
  passphrase?(q: PassphraseAsked, asked?: Asked): Promise<string | undefined>;
  /** The sudo password for become:/as=; undefined when none can be had. */
  becomePassword?(q: BecomePasswordAsked, asked?: Asked): Promise<string | undefined>;
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
  /** An encrypted key's passphrase (RUNBOOK_SSH_PASSPHRASE); without it such keys are refused. */
  passphrase?: string;
  /** The sudo password for become:/as= (RUNBOOK_BECOME_PASSWORD); without it sudo must not ask. */
  becomePassword?: string;
}

/**
 * `--yes`: confirms read and change steps; destructive ones only with the right `--confirm WORD`;
 * unknown host keys are refused.
 */
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
    async hostKey() {
      return false;
    },
    // Only once per key: a second attempt means the one given was wrong.
    ...(opts.passphrase === undefined
      ? {}
      : { passphrase: async (q: PassphraseAsked) => (q.attempt === 1 ? opts.passphrase : undefined) }),
    ...(opts.becomePassword === undefined
      ? {}
      : {
          becomePassword: async (q: BecomePasswordAsked) =>
            q.attempt === 1 ? opts.becomePassword : undefined,
        }),
  };
}

/** `source`, except that the secrets already known are given without asking. */
export function withSecrets(source: DecisionSource, secrets: Record<string, string>): DecisionSource {
  return {
    who: source.who,
    beforeStep: (step, asked) => source.beforeStep(step, asked),
    confirmWord: (step, attempt, asked) => source.confirmWord(step, attempt, asked),
    ...(source.canConfirm ? { canConfirm: (step: PlannedStep) => source.canConfirm?.(step) ?? false } : {}),
    afterFailure: (step, hosts, asked) => source.afterFailure(step, hosts, asked),
    rollbackOnAbort: (completed, asked) => source.rollbackOnAbort(completed, asked),
    resolveUnknown: (step, host, check, asked) => source.resolveUnknown(step, host, check, asked),
    secret: (name, asked) => (name in secrets ? Promise.resolve(secrets[name]) : source.secret(name, asked)),
    ...(source.hostKey
      ? { hostKey: (q: HostKeyAsked, asked?: Asked) => source.hostKey?.(q, asked) ?? Promise.resolve(false) }
      : {}),
    ...(source.passphrase
      ? {
          passphrase: (q: PassphraseAsked, asked?: Asked) =>
            source.passphrase?.(q, asked) ?? Promise.resolve(undefined),
        }
      : {}),
    ...(source.becomePassword
      ? {
          becomePassword: (q: BecomePasswordAsked, asked?: Asked) =>
            source.becomePassword?.(q, asked) ?? Promise.resolve(undefined),
        }
      : {}),
  };
}
