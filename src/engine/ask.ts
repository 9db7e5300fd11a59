import { randomBytes } from "node:crypto";
import type { PlannedStep } from "../model/plan.ts";
import {
  type BecomePasswordAsked,
  type DecisionSource,
  type HostKeyAsked,
  type PassphraseAsked,
  RUNNER,
} from "./decisions.ts";
import type { Decision, EngineEvent } from "./events.ts";
import { describeCheck, mayRunAgain, type ProcessCheck } from "./process-check.ts";
import type { Question } from "./questions.ts";

/**
 * The one way a run asks anything: each question is an event before it is asked, and its answer a
 * decision event after (a secret's or passphrase's value never), so the journal holds every question
 * and who answered what. The transport's questions (an unknown host key, a key's passphrase) come
 * here too, through the callbacks the engine gives it.
 */
export class Asker {
  private n = 0;
  private readonly prefix = randomBytes(3).toString("hex");

  constructor(
    private readonly source: DecisionSource,
    private readonly emit: (e: EngineEvent) => void,
    private readonly now: () => string = () => new Date().toISOString(),
  ) {}

  get who(): string {
    return this.source.who;
  }

  async beforeStep(step: PlannedStep): Promise<Decision> {
    return this.ask({ kind: "before-step", stepId: step.id }, step.id, async (asked) => {
      const d = await this.source.beforeStep(step, asked);
      return { answer: d, decision: d };
    });
  }

  async confirmWord(step: PlannedStep, attempt: number): Promise<string | undefined> {
    return this.ask({ kind: "confirm-word", stepId: step.id, attempt }, step.id, async (asked) => {
      const typed = await this.source.confirmWord(step, attempt, asked);
      const decision: Decision =
        typed === undefined ? { kind: "back" } : { kind: "word", right: typed === step.confirm, attempt };
      return { answer: typed, decision };
    });
  }

  async afterFailure(step: PlannedStep, hosts: string[]): Promise<Decision> {
    return this.ask({ kind: "after-failure", stepId: step.id, hosts }, step.id, async (asked) => {
      const d = await this.source.afterFailure(step, hosts, asked);
      return { answer: d, decision: d };
    });
  }

  async rollbackOnAbort(completed: PlannedStep[]): Promise<PlannedStep[]> {
    const stepIds = completed.map((s) => s.id);
    return this.ask({ kind: "rollback-on-abort", stepIds }, undefined, async (asked) => {
      const chosen = await this.source.rollbackOnAbort(completed, asked);
      return { answer: chosen, decision: { kind: "roll-back-steps", stepIds: chosen.map((s) => s.id) } };
    });
  }

  async resolveUnknown(
    step: PlannedStep,
    host: string,
    check: ProcessCheck,
  ): Promise<"rerun" | "done" | "abort"> {
    return this.ask({ kind: "unknown-host", stepId: step.id, host, check }, step.id, async (asked) => {
      const a = await this.source.resolveUnknown(step, host, check, asked);
      if (a === "rerun" && !mayRunAgain(check)) {
        // Never run a second time alongside: the runner refuses what it was asked to do.
        const reason = `${host}: not run again, because its command is ${describeCheck(check)}: wait for it to end (or stop it there), then resume`;
        return { answer: "abort" as const, decision: { kind: "abort", reason }, by: RUNNER };
      }
      const reason = `${host}: the state of its command is unknown (${describeCheck(check)}) and nobody decided to run it again or count it as done`;
      return { answer: a, decision: a === "abort" ? { kind: "abort", reason } : { kind: a, hosts: [host] } };
    });
  }

  async secret(name: string): Promise<string | undefined> {
    return this.ask({ kind: "secret", name }, undefined, async (asked) => {
      const v = await this.source.secret(name, asked);
      return { answer: v, decision: { kind: "secret", name, given: v !== undefined } };
    });
  }

  async hostKey(q: HostKeyAsked): Promise<boolean> {
    const source = this.source;
    return this.ask(q, undefined, async (asked) => {
      const accepted = source.hostKey ? await source.hostKey(q, asked) : false;
      return {
        answer: accepted,
        decision: { kind: "host-key", host: q.host, fingerprint: q.fingerprint, accepted },
        // Nobody could be asked: the runner refused it.
        by: source.hostKey ? undefined : RUNNER,
      };
    });
  }

  async passphrase(q: PassphraseAsked): Promise<string | undefined> {
    const source = this.source;
    return this.ask(q, undefined, async (asked) => {
      const v = source.passphrase ? await source.passphrase(q, asked) : undefined;
      return {
        answer: v,
        decision: { kind: "passphrase", identity: q.identity, given: v !== undefined },
        by: source.passphrase ? undefined : RUNNER,
      };
    });
  }

  async becomePassword(q: BecomePasswordAsked): Promise<string | undefined> {
    const source = this.source;
    return this.ask(q, undefined, async (asked) => {
      const v = source.becomePassword ? await source.becomePassword(q, asked) : undefined;
      return {
        answer: v,
        decision: { kind: "become-password", users: q.users, given: v !== undefined },
        by: source.becomePassword ? undefined : RUNNER,
      };
    });
  }

  /** A decision the runner makes itself (a step no machine matches is skipped), or on its options. */
  decide(stepId: string | undefined, decision: Decision, by = RUNNER): Decision {
    this.emit({ type: "decision", at: this.now(), ...(stepId ? { stepId } : {}), decision, by });
    return decision;
  }

  private async ask<T>(
    question: Question,
    stepId: string | undefined,
    get: (asked: { id: string }) => Promise<{ answer: T; decision: Decision; by?: string }>,
  ): Promise<T> {
    const id = `${this.prefix}-${++this.n}`;
    this.emit({ type: "question", at: this.now(), id, question });
    const { answer, decision, by } = await get({ id });
    this.emit({
      type: "decision",
      at: this.now(),
      ...(stepId ? { stepId } : {}),
      question: id,
      decision,
      by: by ?? this.source.who,
    });
    return answer;
  }
}
