import type {
  Asked,
  BecomePasswordAsked,
  DecisionSource,
  HostKeyAsked,
  PassphraseAsked,
} from "../engine/decisions.ts";
import type { Decision } from "../engine/events.ts";
import type { ProcessCheck } from "../engine/process-check.ts";
import type { QuestionKind } from "../engine/questions.ts";
import type { PlannedStep } from "../model/plan.ts";

/** What the answer to each kind of question is. */
export interface Answers {
  secret: string | undefined;
  "host-key": boolean;
  passphrase: string | undefined;
  "become-password": string | undefined;
  "before-step": Decision;
  "confirm-word": string | undefined;
  "after-failure": Decision;
  "unknown-host": "rerun" | "done" | "abort";
  "rollback-on-abort": PlannedStep[];
}

interface Waiting {
  kind: QuestionKind;
  resolve(value: unknown): void;
}

/**
 * The engine's DecisionSource for an interactive run. The question itself is in the run's state (the
 * engine journals it as an event before it asks): the screen shows it from there and answers it here,
 * by its id. Nothing here reads a key or runs a step.
 */
export class DecisionBridge implements DecisionSource {
  private readonly waiting = new Map<string, Waiting>();
  private quitting = false;
  private autoRead = false;
  private n = 0;

  constructor(readonly who: string) {}

  /** Answers the question `id` (a question asked and not answered yet). */
  answer<K extends QuestionKind>(id: string, kind: K, value: Answers[K]): void {
    const w = this.waiting.get(id);
    if (!w || w.kind !== kind) return;
    this.waiting.delete(id);
    w.resolve(value);
  }

  /** Whether question `id` still waits for its answer here. */
  waits(id: string): boolean {
    return this.waiting.has(id);
  }

  /** Read-only steps run without asking from now on (key a), starting with the one asked now, if any. */
  setAutoRead(on: boolean, readOnlyQuestions: string[] = []): void {
    this.autoRead = on;
    if (on) for (const id of readOnlyQuestions) this.answer(id, "before-step", { kind: "run" });
  }

  /** Ends every pending question as "no" (the operator quit), and any asked later: the engine winds down. */
  abortAll(): void {
    this.quitting = true;
    for (const [id, w] of [...this.waiting]) {
      this.waiting.delete(id);
      w.resolve(refusal(w.kind));
    }
  }

  beforeStep(step: PlannedStep, asked?: Asked): Promise<Decision> {
    if (this.autoRead && step.risk === "read") return Promise.resolve({ kind: "run" });
    return this.wait("before-step", asked);
  }

  confirmWord(_step: PlannedStep, _attempt: number, asked?: Asked): Promise<string | undefined> {
    return this.wait("confirm-word", asked);
  }

  afterFailure(_step: PlannedStep, _failedHosts: string[], asked?: Asked): Promise<Decision> {
    return this.wait("after-failure", asked);
  }

  rollbackOnAbort(completed: PlannedStep[], asked?: Asked): Promise<PlannedStep[]> {
    if (!completed.some((s) => s.targets.some((t) => t.rollback.length > 0))) return Promise.resolve([]);
    return this.wait("rollback-on-abort", asked);
  }

  resolveUnknown(_step: PlannedStep, _host: string, _check: ProcessCheck, asked?: Asked) {
    return this.wait("unknown-host", asked);
  }

  secret(_name: string, asked?: Asked): Promise<string | undefined> {
    return this.wait("secret", asked);
  }

  passphrase(_q: PassphraseAsked, asked?: Asked): Promise<string | undefined> {
    return this.wait("passphrase", asked);
  }

  becomePassword(_q: BecomePasswordAsked, asked?: Asked): Promise<string | undefined> {
    return this.wait("become-password", asked);
  }

  hostKey(_q: HostKeyAsked, asked?: Asked): Promise<boolean> {
    return this.wait("host-key", asked);
  }

  private wait<K extends QuestionKind>(kind: K, asked: Asked | undefined): Promise<Answers[K]> {
    if (this.quitting) return Promise.resolve(refusal(kind) as Answers[K]);
    const id = asked?.id ?? `direct-${++this.n}`;
    return new Promise((resolve) => this.waiting.set(id, { kind, resolve: resolve as (v: unknown) => void }));
  }
}

/** The answer that stops: what quitting answers to every kind of question. */
function refusal(kind: QuestionKind): unknown {
  switch (kind) {
    case "before-step":
    case "after-failure":
      return { kind: "abort" } satisfies Decision;
    case "confirm-word":
    case "secret":
    case "passphrase":
    case "become-password":
      return undefined;
    case "rollback-on-abort":
      return [];
    case "unknown-host":
      return "abort";
    case "host-key":
      return false;
  }
}
