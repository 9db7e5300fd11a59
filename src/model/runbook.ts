// The parsed runbook: plain data, produced by `format`, consumed by `plan`.

export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export type Risk = "read" | "change" | "destructive";

export const RISKS: readonly Risk[] = ["read", "change", "destructive"];

export type Scalar = string | number | boolean;

export interface VarDecl {
  name: string;
  default?: Scalar;
  describe?: string;
  choices?: string[];
  pattern?: string;
  secret: boolean;
  raw: boolean;
  pos: SourcePos;
}

export interface RoleDecl {
  name: string;
  describe?: string;
  /** The runbook acts on such machines when the inventory has them (an on-call runbook for every layout). */
  optional?: boolean;
  /** The user the role's machines run commands as (may use variables), unless the inventory says. */
  become?: string;
  vars: Record<string, Scalar>;
  pos: SourcePos;
}

export interface GroupDecl {
  name: string;
  members: string[];
  pos: SourcePos;
}

export interface Wait {
  kind: "log" | "port" | "command";
  /** log: the file; port: `port` or `host:port`; command: the shell command. */
  target: string;
  /** log only: the regular expression a new line must match. */
  pattern?: string;
}

interface ActionBase {
  /** Raw `on=` selectors, e.g. ["nameserver", "@a"]. */
  on: string[];
  when?: string;
  /** `as=`: the user it runs as on the machine, through sudo (may use variables). */
  as?: string;
  pos: SourcePos;
}

export interface ShellAction extends ActionBase {
  kind: "shell";
  command: string;
  risk: Risk;
  confirm?: string;
  background: boolean;
  log?: string;
  wait?: Wait;
  timeoutMs?: number;
  retries: number;
  retryDelayMs: number;
  capture?: string;
  expect?: string;
  /** A read-only check whose failure is reported while the run goes on (`keep-going`). */
  keepGoing: boolean;
}

export interface FileAction extends ActionBase {
  kind: "file";
  path: string;
  content: string;
  mode: string;
  lang: string;
  risk: Risk;
  confirm?: string;
}

export interface TsAction extends ActionBase {
  kind: "ts";
  code: string;
  risk: Risk;
  confirm?: string;
  timeoutMs?: number;
  retries: number;
  retryDelayMs: number;
  keepGoing: boolean;
}

export type Action = ShellAction | FileAction | TsAction;

/** A `keep-going` check (file blocks never are). */
export const keepsGoing = (a: Action): boolean => a.kind !== "file" && a.keepGoing;

export interface Rollback extends ActionBase {
  command: string;
  timeoutMs?: number;
}

export interface Note {
  level: "info" | "warning" | "danger";
  text: string;
  pos: SourcePos;
}

/** A count of machines, or a share of a step's machines. */
export type MachineCount = { count: number } | { percent: number };

/**
 * How a step goes out to its machines a few at a time (serial=, max-fail=, pause=, gate= on one of
 * its actions): batches of `serial` machines; after each, a pause and a read-only gate step.
 */
export interface Rollout {
  serial: MachineCount;
  /** Failed machines the rollout goes on with (default none: the first failure stops it). */
  maxFail?: MachineCount;
  pauseMs?: number;
  /** Id of a read-only step that runs after each batch; the next batch starts once it passes. */
  gate?: string;
  pos: SourcePos;
}

export interface Step {
  id: string;
  title: string;
  /** Markdown prose of the step, without its action fences. */
  prose: string;
  notes: Note[];
  actions: Action[];
  rollbacks: Rollback[];
  rollout?: Rollout;
  pos: SourcePos;
}

export interface Phase {
  id: string;
  title: string;
  prose: string;
  steps: Step[];
  pos: SourcePos;
}

/** Something `check` tells but that does not stop a runbook (a GitBook key it does not use). */
export interface RunbookWarning {
  message: string;
  pos: SourcePos;
}

export interface Runbook {
  file: string;
  title: string;
  summary?: string;
  intro: string;
  confirm?: string;
  roles: RoleDecl[];
  groups: GroupDecl[];
  vars: VarDecl[];
  phases: Phase[];
  /** Every file read to build this runbook (itself and its includes), with its sha256. */
  sources: { file: string; sha256: string }[];
  /** Present when there are some. */
  warnings?: RunbookWarning[];
}
