import type { Risk } from "../model/runbook.ts";
import type { Question } from "./questions.ts";

/** Where one step stands on one machine. */
export type HostStatus =
  | "pending"
  | "awaiting-decision"
  | "running"
  | "waiting"
  | "ok"
  | "failed"
  | "skipped"
  /** The command said the step does not apply to this machine (not_applicable): nothing was checked. */
  | "not-applicable"
  | "rolled-back"
  | "unknown";

/** Where a step stands in the run (its machines each have a HostStatus). */
export type StepStatus =
  | "pending"
  | "running"
  | "ok"
  | "failed"
  | "skipped"
  /** On every machine of the step, its command said the step does not apply there. */
  | "not-applicable"
  | "rolled-back";

/** `empty`: the run reached its end, but nothing ran (or nothing was checked) anywhere. */
export type RunStatus = "running" | "ok" | "failed" | "aborted" | "empty";

export type Decision =
  | { kind: "run" }
  | { kind: "skip"; reason: string }
  | { kind: "retry" }
  /** Roll back a step (default: the one asked about) on some machines (default: all of them). */
  | { kind: "rollback"; stepId?: string; hosts?: string[] }
  /** Stop the run; `reason` says why when it was not the operator's own choice. */
  | { kind: "abort"; reason?: string }
  /** Machines whose command's fate was unknown: it finished there (checked by whoever decided). */
  | { kind: "done"; hosts: string[] }
  /** Machines whose command's fate was unknown: run the step there again. */
  | { kind: "rerun"; hosts: string[] }
  /**
   * The confirmation word of a destructive step was typed: right, or (each attempt journaled) wrong.
   * What was typed is never journaled: a wrong attempt may be anything, a password typed in the wrong
   * box included.
   */
  | { kind: "word"; right: boolean; attempt: number }
  /** A machine's unknown host key, by its fingerprint: accepted (and remembered) or refused. */
  | { kind: "host-key"; host: string; fingerprint: string; accepted: boolean }
  /** A secret or a key's passphrase was given, or not (never its value). */
  | { kind: "secret"; name: string; given: boolean }
  | { kind: "passphrase"; identity: string; given: boolean }
  /** The sudo password to become these users was given, or not (never its value). */
  | { kind: "become-password"; users: string[]; given: boolean }
  /** When the run stops: the completed steps chosen to roll back, newest first. */
  | { kind: "roll-back-steps"; stepIds: string[] }
  /** Back from a destructive step's word to the question before it. */
  | { kind: "back" };

/**
 * The one event stream of a run. The terminal UI, the plain reporter, the JSON writer and the journal
 * all consume it; replaying a journal through the reducer rebuilds the run's state for resume.
 */
export type EngineEvent =
  | {
      type: "run-started";
      at: string;
      runId: string;
      planHash: string;
      title: string;
      resumed: boolean;
      /** Who started (or resumed) the run: user@host. */
      by?: string;
      steps: { id: string; title: string; phase: string; risk: Risk; hosts: string[] }[];
    }
  | { type: "step-started"; at: string; stepId: string; hosts: string[] }
  /**
   * A batch of a rolled-out step (1-based, of `of`) starts on these machines, after waiting `pauseMs`
   * when the step pauses between batches.
   */
  | {
      type: "batch-started";
      at: string;
      stepId: string;
      batch: number;
      of: number;
      hosts: string[];
      pauseMs?: number;
    }
  /** The run asks something: it stays pending in the run's state until its decision. */
  | { type: "question"; at: string; id: string; question: Question }
  /**
   * A decision: the answer to a question (`question`), or one the runner made itself. `by` names who
   * decided: a person (user@host, "--yes by user@host"), or the runner (RUNNER).
   */
  | { type: "decision"; at: string; stepId?: string; question?: string; decision: Decision; by: string }
  | {
      type: "host-status";
      at: string;
      stepId: string;
      host: string;
      status: HostStatus;
      detail?: string;
      /** How long what now runs (or is waited for) may take, so its elapsed time can be shown against it. */
      timeoutMs?: number;
    }
  /**
   * A command of the step is being sent to the machine: from here on, a runner that dies cannot know
   * whether it ran there, and the machine's state becomes unknown rather than pending.
   */
  | { type: "command-sent"; at: string; stepId: string; host: string }
  /** It started there: its process group, and what tells it from a later process with that PID. */
  | { type: "command-started"; at: string; stepId: string; host: string; pid: number; id: string }
  | { type: "output"; at: string; stepId: string; host: string; stream: "stdout" | "stderr"; text: string }
  | { type: "captured"; at: string; stepId: string; host: string; name: string; value: string }
  | {
      type: "host-finished";
      at: string;
      stepId: string;
      host: string;
      status: HostStatus;
      exitCode: number | null;
      durationMs: number;
      error?: string;
      /** Not an error: why the step did not apply to the machine. */
      detail?: string;
      /** A failed (or unknown) machine's last lines of output, stderr first: what went wrong, whole. */
      tail?: string[];
      /** Its command was stopped (q, Ctrl-C, a signal): it did not fail on its own. */
      stopped?: boolean;
      /** The machine refused the runner (a host key, a login): the run ends refused. */
      refused?: boolean;
    }
  | {
      type: "step-finished";
      at: string;
      stepId: string;
      status: StepStatus;
      /** A keep-going check failed and the run goes on to the next step without asking. */
      goesOn?: boolean;
    }
  | { type: "rollback-finished"; at: string; stepId: string; host: string; ok: boolean; error?: string }
  /**
   * The run was refused before it acted: by a machine (a lock, a host key), or for the whole run.
   * `invalid`: because of a mistake in the input (an inventory's key file), not a refusal by anyone.
   */
  | { type: "refused"; at: string; host?: string; reason: string; invalid?: boolean }
  | {
      type: "run-finished";
      at: string;
      status: RunStatus;
      /** Where the run stopped; when it reached its end with failed keep-going checks, the first of them. */
      failedStep?: string;
      /** The keep-going checks that failed, in order, when the run reached its end or stopped for them. */
      failedChecks?: string[];
      /** The step that changes machines which the run did not start because checks had failed. */
      stoppedBefore?: string;
      /** Why an `empty` run is empty. */
      reason?: string;
      /** What the steps came to: ran somewhere, not applicable anywhere, skipped. */
      counts?: RunCounts;
      /** Every machine a step failed on (or whose state is unknown), with why and its last lines. */
      failures?: Failure[];
    };

export interface Failure {
  stepId: string;
  host: string;
  status: "failed" | "unknown";
  exitCode: number | null;
  error?: string;
  tail?: string[];
}

export interface RunCounts {
  steps: number;
  /** Steps that ran on at least one machine (or, with no commands, were confirmed by a person). */
  ran: number;
  /** Steps whose commands said, on every machine, that they do not apply there. */
  notApplicable: number;
  /** Steps skipped: by the operator, --from/--only, or because no machine matches them. */
  skipped: number;
  /** Machine by machine: how often a step passed, failed, or did not apply. */
  hosts: { ok: number; failed: number; notApplicable: number };
}

export type EventOf<T extends EngineEvent["type"]> = Extract<EngineEvent, { type: T }>;
