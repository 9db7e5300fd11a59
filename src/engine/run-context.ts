import type { Plan, PlanHost, PlannedStep } from "../model/plan.ts";
import type { JumpPool } from "../transport/ssh/ssh-transport.ts";
import type { HostKeyQuestion, Transport } from "../transport/transport.ts";
import type { Asker } from "./ask.ts";
import type { DecisionSource } from "./decisions.ts";
import type { EngineEvent } from "./events.ts";
import type { GcPacer } from "./gc-pacer.ts";
import type { Masker } from "./masker.ts";
import type { Session } from "./session.ts";
import type { RunState } from "./state.ts";

/** What a transport may ask while it logs in; the engine answers through its Asker (journaled). */
export interface TransportQuestions {
  hostKey(q: HostKeyQuestion): Promise<boolean>;
  /** Absent when nobody can give a passphrase in this run. */
  passphrase?(q: { host: string; identity: string; attempt: number }): Promise<string | undefined>;
}

export interface RunOptions {
  plan: Plan;
  runId: string;
  /**
   * The transport of a machine; it asks about host keys and passphrases through `questions`, and logs
   * into bastions through `jumps`, the run's one login per bastion route (closed at the run's end).
   */
  connect(host: PlanHost, questions: TransportQuestions, jumps?: JumpPool): Promise<Transport>;
  decisions: DecisionSource;
  /** Every event, in order; the journal, the reporters and the UI subscribe here. */
  emit(event: EngineEvent): void;
  /** Aborting stops the running commands on every machine and ends the run as aborted. */
  signal?: AbortSignal;
  /**
   * Machines acted on at once (--forks): a step's commands, its rollbacks, the logins before step 1;
   * default DEFAULT_FORKS.
   */
  forks?: number;
  /** Start at this step (earlier ones are skipped, journaled as such). */
  from?: string;
  /** Run only these steps. */
  only?: string[];
  /** State rebuilt from the journal of an earlier, interrupted run of the same plan. */
  resumeFrom?: RunState;
  /** Who runs it (user@host), journaled with the run's start. */
  by?: string;
  /** Lock every machine of the plan for this run; without it no lock is taken (tests, dry runs). */
  lock?: { who: string; breakStale: boolean };
}

/** One run as its parts see it: the plan, its options, its one state, and how to add to it. */
export interface RunContext {
  readonly plan: Plan;
  readonly opts: RunOptions;
  readonly steps: PlannedStep[];
  readonly signal: AbortSignal;
  readonly asker: Asker;
  readonly masker: Masker;
  readonly gc: GcPacer;
  readonly session: Session;
  /** Secrets given for this run, by name (never in an event). */
  readonly secrets: Map<string, string>;
  /** The run's state: the fold of every event so far. */
  state(): RunState;
  emit(e: EngineEvent): void;
  now(): string;
}

/** Values bound at run time on a machine: its captured values, then the secrets. */
export function lateValues(ctx: RunContext, host: string): (name: string) => string | undefined {
  return (name) => ctx.state().captured[host]?.[name] ?? ctx.secrets.get(name);
}

/** Machines acted on at once when --forks does not say: what a laptop's ssh handles well. */
export const DEFAULT_FORKS = 16;

/** How many machines are acted on at once. */
export function forksOf(opts: Pick<RunOptions, "forks">): number {
  return opts.forks ?? DEFAULT_FORKS;
}
