import type { TransportKind } from "./inventory.ts";
import type { Note, Risk, SourcePos } from "./runbook.ts";

export const PLAN_FORMAT = "runbook-plan/1";

/** Marks a late-bound variable in planned text (⟨name⟩, or ⟨name|raw⟩ where spliced as it is). */
export const deferredToken = (name: string, raw: boolean) => `⟨${name}${raw ? "|raw" : ""}⟩`;
export const DEFERRED = /⟨([a-z_][a-z0-9_]*)(\|raw)?⟩/g;

/** Why a step with commands runs nowhere (every action's on= and when= leave no machine). */
export const NO_MACHINE = "no machine matches its on= and when=";

/**
 * Shell text as it runs on a machine. Values never stand in the script as text: each `{{ }}` is a
 * parameter expansion of a preamble variable, which the runner assigns (quoting the value itself)
 * right before the script, so the shell never parses a value as code. The whole script reaches the
 * machine on the command's standard input, never on a command line another user could read with ps.
 */
export interface ShellRun {
  script: string;
  /** Preamble variables and their values. */
  values: Record<string, string>;
  /** Preamble variables bound at run time: variable -> captured value or secret of that name. */
  late: Record<string, string>;
}

export interface PlannedWait {
  kind: "log" | "port" | "command";
  /** log: the file; port: `port` or `host:port`; command: the command as the operator reads it. */
  target: string;
  /** command: what runs. */
  run?: ShellRun;
  pattern?: string;
  timeoutMs: number;
}

interface PlannedBase {
  source: SourcePos;
  risk: Risk;
  /** The machine's user it runs as, through sudo; absent: the login user. */
  as?: string;
  /** Late-bound variables (captured during the run, or secrets) still written ⟨name⟩ in the text. */
  deferred: string[];
}

export interface PlannedShell extends PlannedBase {
  kind: "shell";
  /** The command as the operator reads it: values filled in, quoted for where they stand. */
  command: string;
  /** What runs. */
  run: ShellRun;
  background: boolean;
  log?: string;
  wait?: PlannedWait;
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
  capture?: string;
  expect?: string;
}

export interface PlannedFile extends PlannedBase {
  kind: "file";
  path: string;
  content: string;
  mode: string;
}

export interface PlannedTs extends PlannedBase {
  kind: "ts";
  code: string;
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
}

export type PlannedAction = PlannedShell | PlannedFile | PlannedTs;

export interface PlannedRollback {
  source: SourcePos;
  command: string;
  run: ShellRun;
  timeoutMs: number;
  deferred: string[];
  /** The machine's user it runs as, through sudo; absent: the login user. */
  as?: string;
}

/** What one step does on one machine. */
export interface PlannedTarget {
  host: string;
  /** The step's prose with this machine's values, where they differ from the other machines'. */
  prose?: string;
  actions: PlannedAction[];
  rollback: PlannedRollback[];
}

export interface PlannedStep {
  id: string;
  title: string;
  phase: string;
  prose: string;
  notes: Note[];
  risk: Risk;
  /** The word to type before a destructive step runs. */
  confirm?: string;
  targets: PlannedTarget[];
  /**
   * A read-only check: when it fails the run records it and goes on to the next step without asking,
   * and ends failed with every failed check listed (a health check reports everything it finds).
   */
  keepGoing?: boolean;
  /** Why a step with actions runs nowhere (every action's when= is false), if so. */
  skipped?: string;
  /** Its machines in batches, as planned (see Rollout); absent: all at once. */
  rollout?: PlannedRollout;
  /** This step is the gate of that step's rollout: it runs after each batch of it, not on its own. */
  gateOf?: string;
  source: SourcePos;
}

export interface PlannedRollout {
  /** Machine names, batch by batch, in the order they run. */
  batches: string[][];
  /** Failed machines the rollout goes on with (0: the first failure stops it). */
  maxFail: number;
  pauseMs?: number;
  /** Id of the gate step. */
  gate?: string;
}

export interface PlannedPhase {
  id: string;
  title: string;
  prose: string;
  steps: PlannedStep[];
}

export interface PlanHost {
  name: string;
  transport: TransportKind;
  address: string;
  port: number;
  user?: string;
  /** The user the machine's commands run as unless an action says otherwise; its lock is theirs. */
  become?: string;
  /**
   * The bastions it is reached through, first hop first (absent: directly). Part of the machine's
   * identity: the same address behind two bastions is two machines.
   */
  via?: PlanHop[];
  roles: string[];
  /** Every declared variable as resolved on this machine; secrets are omitted. */
  vars: Record<string, string>;
}

/** A bastion on the way to a machine, as the plan shows it. */
export interface PlanHop {
  name: string;
  address: string;
  port: number;
  user?: string;
}

export interface Plan {
  format: typeof PLAN_FORMAT;
  /** sha256 over everything below: what was reviewed is what runs. */
  hash: string;
  runbook: {
    file: string;
    title: string;
    summary?: string;
    intro: string;
    sources: { file: string; sha256: string }[];
  };
  inventory: { file: string; sha256: string };
  /** Values given with --var (secrets never appear). */
  overrides: Record<string, string>;
  limit?: string[];
  secrets: string[];
  hosts: PlanHost[];
  phases: PlannedPhase[];
}
