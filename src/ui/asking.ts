import type { Decision } from "../engine/events.ts";
import type { ProcessCheck } from "../engine/process-check.ts";
import type { PendingQuestion } from "../engine/questions.ts";
import type { RunState } from "../engine/state.ts";
import type { Plan, PlannedStep } from "../model/plan.ts";
import type { Answers, DecisionBridge } from "./decision-bridge.ts";

/**
 * The question on screen: the first pending question of the run's state, with the plan's steps it is
 * about, and how to answer it (through the bridge, by its id).
 */
export type Question =
  | { kind: "before-step"; id: string; step: PlannedStep; answer(d: Decision): void }
  | {
      kind: "confirm-word";
      id: string;
      step: PlannedStep;
      attempt: number;
      answer(word: string | undefined): void;
    }
  | { kind: "after-failure"; id: string; step: PlannedStep; failedHosts: string[]; answer(d: Decision): void }
  | { kind: "rollback-on-abort"; id: string; completed: PlannedStep[]; answer(steps: PlannedStep[]): void }
  | {
      kind: "unknown-host";
      id: string;
      step: PlannedStep;
      host: string;
      check: ProcessCheck;
      answer(a: "rerun" | "done" | "abort"): void;
    }
  | { kind: "secret"; id: string; name: string; answer(value: string | undefined): void }
  | {
      kind: "passphrase";
      id: string;
      identity: string;
      attempt: number;
      answer(value: string | undefined): void;
    }
  | {
      kind: "become-password";
      id: string;
      hosts: string[];
      users: string[];
      attempt: number;
      answer(value: string | undefined): void;
    }
  | { kind: "host-key"; id: string; question: HostKeyShown; answer(accept: boolean): void };

export interface HostKeyShown {
  host: string;
  address: string;
  port: number;
  keyType: string;
  fingerprint: string;
  bastionFor?: string;
}

/** The question the run waits on that this screen can answer, if there is one. */
export function askingNow(
  run: RunState,
  plan: Plan,
  bridge: DecisionBridge | undefined,
): Question | undefined {
  if (!bridge) return undefined;
  const pending = run.questions.find((q) => bridge.waits(q.id));
  return pending && asking(pending, plan, bridge);
}

function asking(p: PendingQuestion, plan: Plan, bridge: DecisionBridge): Question | undefined {
  const steps = plan.phases.flatMap((ph) => ph.steps);
  const stepOf = (id: string) => steps.find((s) => s.id === id);
  const to =
    <K extends keyof Answers>(kind: K) =>
    (value: Answers[K]) =>
      bridge.answer(p.id, kind, value);
  const q = p.question;
  switch (q.kind) {
    case "before-step": {
      const step = stepOf(q.stepId);
      return step && { kind: q.kind, id: p.id, step, answer: to(q.kind) };
    }
    case "confirm-word": {
      const step = stepOf(q.stepId);
      return step && { kind: q.kind, id: p.id, step, attempt: q.attempt, answer: to(q.kind) };
    }
    case "after-failure": {
      const step = stepOf(q.stepId);
      return step && { kind: q.kind, id: p.id, step, failedHosts: q.hosts, answer: to(q.kind) };
    }
    case "unknown-host": {
      const step = stepOf(q.stepId);
      return step && { kind: q.kind, id: p.id, step, host: q.host, check: q.check, answer: to(q.kind) };
    }
    case "rollback-on-abort": {
      // Offered are the steps that have a rollback somewhere.
      const completed = q.stepIds
        .flatMap((id) => steps.filter((s) => s.id === id))
        .filter((s) => s.targets.some((t) => t.rollback.length > 0));
      return { kind: q.kind, id: p.id, completed, answer: to(q.kind) };
    }
    case "secret":
      return { kind: q.kind, id: p.id, name: q.name, answer: to(q.kind) };
    case "passphrase":
      return { kind: q.kind, id: p.id, identity: q.identity, attempt: q.attempt, answer: to(q.kind) };
    case "become-password":
      return {
        kind: q.kind,
        id: p.id,
        hosts: q.hosts,
        users: q.users,
        attempt: q.attempt,
        answer: to(q.kind),
      };
    case "host-key": {
      const { kind, ...shown } = q;
      return { kind, id: p.id, question: shown, answer: to(kind) };
    }
  }
}
