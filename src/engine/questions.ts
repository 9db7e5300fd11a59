import type { ProcessCheck } from "./process-check.ts";

/**
 * Everything a run asks, as data: each is an event (`question`) before it is asked and has its answer
 * journaled as a `decision` after, whoever answers (a person in the terminal UI, --yes, a script, the
 * runner itself). The screen shows the first pending question of the run's state.
 */
export type Question =
  /** A secret the plan needs (its value is never journaled). */
  | { kind: "secret"; name: string }
  /** A machine's host key is not in known_hosts: accept it (and remember it) or refuse it. */
  | {
      kind: "host-key";
      host: string;
      address: string;
      port: number;
      keyType: string;
      fingerprint: string;
      /** The host is a bastion on the way to this machine. */
      bastionFor?: string;
    }
  /** The passphrase of an encrypted key file (never journaled); `attempt` > 1 after a wrong one. */
  | { kind: "passphrase"; host: string; identity: string; attempt: number }
  /**
   * sudo on these machines asks for a password to run commands as these users (become:, as=); never
   * journaled. `attempt` > 1 after sudo refused the one given.
   */
  | { kind: "become-password"; hosts: string[]; users: string[]; attempt: number }
  /** Before a step runs: run it, skip it (with a reason), roll back a finished step, or stop. */
  | { kind: "before-step"; stepId: string }
  /** A destructive step's confirmation word; `attempt` > 1 after a wrong one. */
  | { kind: "confirm-word"; stepId: string; attempt: number }
  /** Some machines failed the step: retry them, roll back, skip on, or stop. */
  | { kind: "after-failure"; stepId: string; hosts: string[] }
  /** The step may or may not have run on this machine: run it again there, count it done, or stop. */
  | { kind: "unknown-host"; stepId: string; host: string; check: ProcessCheck }
  /** The run stops: which completed steps (newest first) to roll back. */
  | { kind: "rollback-on-abort"; stepIds: string[] };

export type QuestionKind = Question["kind"];

/** The step a question is about, if it is about one. */
export function questionStep(q: Question | undefined): string | undefined {
  switch (q?.kind) {
    case "before-step":
    case "confirm-word":
    case "after-failure":
    case "unknown-host":
      return q.stepId;
    case "secret":
    case "host-key":
    case "passphrase":
    case "become-password":
    case "rollback-on-abort":
    case undefined:
      return undefined;
  }
}

/** A question as the run's state keeps it until it is answered. */
export interface PendingQuestion {
  id: string;
  at: string;
  question: Question;
}
