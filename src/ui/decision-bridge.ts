import type { DecisionSource } from "../engine/decisions.ts";
import type { Decision } from "../engine/events.ts";
import type { ProcessCheck } from "../engine/process-check.ts";
import type { PlannedStep } from "../model/plan.ts";
import type { HostKeyQuestion } from "../transport/transport.ts";

/** What the engine is waiting for a person to answer. The UI shows one question at a time. */
export type Question =
  | { kind: "before-step"; step: PlannedStep; answer(d: Decision): void }
  | { kind: "confirm-word"; step: PlannedStep; attempt: number; answer(word: string | undefined): void }
  | { kind: "after-failure"; step: PlannedStep; failedHosts: string[]; answer(d: Decision): void }
  | { kind: "rollback-on-abort"; completed: PlannedStep[]; answer(steps: PlannedStep[]): void }
  | {
      kind: "unknown-host";
      step: PlannedStep;
      host: string;
      check: ProcessCheck;
      answer(a: "rerun" | "done" | "abort"): void;
    }
  | { kind: "secret"; name: string; answer(value: string | undefined): void }
  | { kind: "passphrase"; identity: string; attempt: number; answer(value: string | undefined): void }
  | { kind: "host-key"; question: HostKeyQuestion; answer(accept: boolean): void };

type Listener = () => void;

/**
 * The engine's DecisionSource for an interactive run: each call becomes a pending question that the
 * terminal UI renders and answers from keys. Nothing here reads a key or runs a step.
 */
export class DecisionBridge implements DecisionSource {
  private queue: Question[] = [];
  private listeners = new Set<Listener>();
  /** Read-only steps run without asking once the operator turns this on (key a). */
  autoRead = false;

  constructor(readonly who: string) {}

  get current(): Question | undefined {
    return this.queue[0];
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  setAutoRead(on: boolean): void {
    this.autoRead = on;
    const q = this.current;
    if (on && q?.kind === "before-step" && q.step.risk === "read") q.answer({ kind: "run" });
    else this.notify();
  }

  /** Ends every pending question as "abort" (the operator quit), and any asked later: the engine winds down. */
  abortAll(): void {
    this.quitting = true;
    for (const q of [...this.queue]) this.refuse(q);
  }

  private quitting = false;

  private refuse(q: Question): void {
    switch (q.kind) {
      case "before-step":
      case "after-failure":
        q.answer({ kind: "abort" });
        break;
      case "confirm-word":
      case "secret":
      case "passphrase":
        q.answer(undefined);
        break;
      case "rollback-on-abort":
        q.answer([]);
        break;
      case "unknown-host":
        q.answer("abort");
        break;
      case "host-key":
        q.answer(false);
        break;
    }
  }

  beforeStep(step: PlannedStep): Promise<Decision> {
    if (this.autoRead && step.risk === "read") return Promise.resolve({ kind: "run" });
    return this.ask<Decision>((answer) => ({ kind: "before-step", step, answer }));
  }

  confirmWord(step: PlannedStep, attempt = 1): Promise<string | undefined> {
    return this.ask((answer) => ({ kind: "confirm-word", step, attempt, answer }));
  }

  afterFailure(step: PlannedStep, failedHosts: string[]): Promise<Decision> {
    return this.ask((answer) => ({ kind: "after-failure", step, failedHosts, answer }));
  }

  rollbackOnAbort(completed: PlannedStep[]): Promise<PlannedStep[]> {
    const withRollback = completed.filter((s) => s.targets.some((t) => t.rollback.length > 0));
    if (withRollback.length === 0) return Promise.resolve([]);
    return this.ask((answer) => ({ kind: "rollback-on-abort", completed: withRollback, answer }));
  }

  resolveUnknown(step: PlannedStep, host: string, check: ProcessCheck): Promise<"rerun" | "done" | "abort"> {
    return this.ask((answer) => ({ kind: "unknown-host", step, host, check, answer }));
  }

  secret(name: string): Promise<string | undefined> {
    return this.ask((answer) => ({ kind: "secret", name, answer }));
  }

  passphrase(identity: string, attempt: number): Promise<string | undefined> {
    return this.ask((answer) => ({ kind: "passphrase", identity, attempt, answer }));
  }

  hostKey(question: HostKeyQuestion): Promise<boolean> {
    return this.ask((answer) => ({ kind: "host-key", question, answer }));
  }

  private ask<T>(make: (answer: (value: T) => void) => Question): Promise<T> {
    return new Promise<T>((resolve) => {
      let done = false;
      const q = make(((value: T) => {
        if (done) return;
        done = true;
        this.queue = this.queue.filter((x) => x !== q);
        resolve(value);
        this.notify();
      }) as never);
      this.queue.push(q);
      if (this.quitting) this.refuse(q);
      else this.notify();
    });
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }
}
