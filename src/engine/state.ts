import type { EngineEvent, EventOf, HostStatus, RunStatus, StepStatus } from "./events.ts";
import type { PendingQuestion } from "./questions.ts";

export interface HostState {
  status: HostStatus;
  exitCode: number | null;
  durationMs?: number;
  error?: string;
  detail?: string;
  /** Its command was stopped by the operator (q, Ctrl-C, a signal): it did not fail on its own. */
  stopped?: boolean;
  /** A command of the step's current attempt was sent to the machine. */
  sent?: boolean;
  /** The last command of the current attempt that started there. */
  process?: { pid: number; id: string };
  /** The last lines it printed, when it failed. */
  tail?: string[];
  /** Since when (ms since the epoch) the machine is in its status, and how long that may take. */
  since?: number;
  timeoutMs?: number;
}

export const stoppedByOperator = (h: HostState): boolean => h.status === "failed" && h.stopped === true;

export interface StepState {
  id: string;
  title: string;
  phase: string;
  status: StepStatus;
  hosts: Record<string, HostState>;
  skipReason?: string;
  /** Which start of the run (see RunState.segment) finished it ok: this runner's, or an earlier one's. */
  doneIn?: number;
  /** The batch of a rolled-out step that runs (or pauses before it runs), since `since`. */
  batch?: { index: number; of: number; hosts: string[]; since: string; pauseMs?: number };
}

export interface Refusal {
  host?: string;
  reason: string;
  invalid?: boolean;
}

/** Everything a run's events imply: the journal replayed gives this same state. */
export interface RunState {
  runId?: string;
  planHash?: string;
  title?: string;
  status: RunStatus | "idle";
  order: string[];
  steps: Record<string, StepState>;
  current?: string;
  /** Captured variables per machine, for the steps still to run. */
  captured: Record<string, Record<string, string>>;
  /** Questions asked and not answered yet, oldest first: the screen shows the first. */
  questions: PendingQuestion[];
  /** Why the run was refused (a lock, a host key, an input mistake), when it was. */
  refusals: Refusal[];
  /** A machine refused the runner during the run (a host key, a login). */
  refusedMidRun: boolean;
  /** keep-going checks that failed, in order. */
  failedChecks: string[];
  /** How many times the run was started (1, then one more per resume). */
  segment: number;
  /** When the run was first started, when this start of it was (a resume's), and when it ended. */
  startedAt?: string;
  lastStartedAt?: string;
  finishedAt?: string;
  /** How the run ended, as its run-finished event says. */
  ended?: Omit<EventOf<"run-finished">, "type" | "at">;
}

export const initialRunState: RunState = {
  status: "idle",
  order: [],
  steps: {},
  captured: {},
  questions: [],
  refusals: [],
  refusedMidRun: false,
  failedChecks: [],
  segment: 0,
};

/** Pure reducer: the same fold rebuilds state live (UI) and from a journal (resume, log). */
export function reduceRun(state: RunState, event: EngineEvent): RunState {
  switch (event.type) {
    case "run-started":
      return started(state, event);
    case "step-started":
      return updateStep({ ...state, current: event.stepId }, event.stepId, (s) => ({
        ...s,
        status: "running",
      }));
    case "batch-started": {
      const { batch: index, of, hosts, at, pauseMs } = event;
      return updateStep(state, event.stepId, (s) => ({
        ...s,
        batch: { index, of, hosts, since: at, ...(pauseMs !== undefined ? { pauseMs } : {}) },
      }));
    }
    case "question":
      return {
        ...state,
        questions: [...state.questions, { id: event.id, at: event.at, question: event.question }],
      };
    case "decision":
      return decided(
        event.question
          ? { ...state, questions: state.questions.filter((q) => q.id !== event.question) }
          : state,
        event,
      );
    case "host-status":
      return updateHost(state, event.stepId, event.host, (h) => statusChanged(h, event));
    case "command-sent":
      return updateHost(state, event.stepId, event.host, (h) => ({ ...h, sent: true }));
    case "command-started":
      return updateHost(state, event.stepId, event.host, (h) => ({
        ...h,
        sent: true,
        process: { pid: event.pid, id: event.id },
      }));
    case "host-finished":
      return {
        ...updateHost(state, event.stepId, event.host, (h) => hostFinished(h, event)),
        refusedMidRun: state.refusedMidRun || event.refused === true,
      };
    case "captured":
      return {
        ...state,
        captured: {
          ...state.captured,
          [event.host]: { ...state.captured[event.host], [event.name]: event.value },
        },
      };
    case "rollback-finished":
      return updateHost(state, event.stepId, event.host, (h) =>
        event.ok ? { ...h, status: "rolled-back" } : { ...h, error: event.error },
      );
    case "step-finished": {
      const next = updateStep(state, event.stepId, (s) => ({
        ...s,
        status: event.status,
        ...(event.status === "ok" ? { doneIn: state.segment } : {}),
      }));
      return event.goesOn ? { ...next, failedChecks: [...state.failedChecks, event.stepId] } : next;
    }
    case "refused":
      return {
        ...state,
        refusals: [
          ...state.refusals,
          {
            ...(event.host ? { host: event.host } : {}),
            reason: event.reason,
            ...(event.invalid ? { invalid: true } : {}),
          },
        ],
      };
    case "run-finished": {
      const { type: _t, at: _a, ...ended } = event;
      return {
        ...state,
        status: event.status,
        current: undefined,
        ended,
        finishedAt: event.at,
        questions: [],
      };
    }
    case "output":
      return state;
  }
}

function started(state: RunState, event: EventOf<"run-started">): RunState {
  const steps: Record<string, StepState> = {};
  for (const s of event.steps) {
    steps[s.id] = state.steps[s.id] ?? {
      id: s.id,
      title: s.title,
      phase: s.phase,
      status: "pending",
      hosts: Object.fromEntries(s.hosts.map((h) => [h, { status: "pending" as HostStatus, exitCode: null }])),
    };
  }
  return {
    ...state,
    runId: event.runId,
    planHash: event.planHash,
    title: event.title,
    status: "running",
    ended: undefined,
    finishedAt: undefined,
    order: event.steps.map((s) => s.id),
    steps,
    // What an earlier runner asked and never heard back is not asked any more.
    questions: [],
    // A resume is asked everything again: an earlier refusal or a failed check is not this run's.
    refusals: [],
    refusedMidRun: false,
    failedChecks: [],
    segment: state.segment + 1,
    startedAt: state.startedAt ?? event.at,
    lastStartedAt: event.at,
  };
}

function decided(state: RunState, event: EventOf<"decision">): RunState {
  const d = event.decision;
  const stepId = event.stepId;
  if (stepId === undefined) return state;
  switch (d.kind) {
    case "done":
    case "rerun":
      return updateStep(state, stepId, (s) => ({
        ...s,
        hosts: mapHosts(s.hosts, (h, name) =>
          !d.hosts.includes(name)
            ? h
            : d.kind === "done"
              ? { ...h, status: "ok", detail: `counted as done by ${event.by}` }
              : { status: "pending", exitCode: null, detail: `run again, decided by ${event.by}` },
        ),
      }));
    case "skip":
      return updateStep(state, stepId, (s) => ({
        ...s,
        status: "skipped",
        skipReason: d.reason,
        hosts: mapHosts(s.hosts, (h) => (h.status === "ok" ? h : { ...h, status: "skipped" })),
      }));
    case "run":
    case "retry":
    case "rollback":
    case "abort":
    case "word":
    case "host-key":
    case "secret":
    case "passphrase":
    case "become-password":
    case "roll-back-steps":
    case "back":
      return state;
  }
}

function statusChanged(h: HostState, event: EventOf<"host-status">): HostState {
  // A new attempt starts with nothing sent yet.
  const fresh = event.status === "running" && h.status !== "running" && h.status !== "waiting";
  const changed = event.status !== h.status || event.timeoutMs !== undefined;
  return {
    ...h,
    status: event.status,
    detail: event.detail,
    since: changed ? Date.parse(event.at) : h.since,
    timeoutMs: changed ? event.timeoutMs : h.timeoutMs,
    ...(fresh ? { sent: undefined, process: undefined, stopped: undefined } : {}),
  };
}

function hostFinished(h: HostState, event: EventOf<"host-finished">): HostState {
  return {
    status: event.status,
    exitCode: event.exitCode,
    durationMs: event.durationMs,
    error: event.error,
    ...(event.detail !== undefined ? { detail: event.detail } : {}),
    ...(event.tail !== undefined ? { tail: event.tail } : {}),
    ...(event.stopped ? { stopped: true } : {}),
    ...(h.sent ? { sent: true } : {}),
    ...(h.process ? { process: h.process } : {}),
  };
}

/**
 * How a step reads at a glance, from its machines: while it runs, what its machines show (failed wins,
 * then unknown, running, waiting...); once it has an outcome, that outcome. The screen and the summary
 * both show this.
 */
export function stepAtAGlance(step: StepState | undefined): HostStatus {
  if (!step) return "pending";
  if (step.status === "running") return hostsAtAGlance(step.hosts);
  if (step.status === "ok" && Object.values(step.hosts).some((h) => h.status === "rolled-back"))
    return "rolled-back";
  return step.status;
}

/** The status that stands for a set of machines: failed wins, then running, then done. */
export function hostsAtAGlance(hosts: Record<string, HostState>): HostStatus {
  const all = Object.values(hosts).map((h) => h.status);
  if (all.length === 0) return "ok";
  for (const s of ["failed", "unknown", "running", "waiting", "awaiting-decision", "pending"] as const) {
    if (all.includes(s)) return s;
  }
  if (all.every((s) => s === "rolled-back")) return "rolled-back";
  if (all.every((s) => s === "skipped")) return "skipped";
  if (all.every((s) => s === "not-applicable")) return "not-applicable";
  return "ok";
}

function updateStep(state: RunState, id: string, f: (s: StepState) => StepState): RunState {
  const step = state.steps[id];
  return step ? { ...state, steps: { ...state.steps, [id]: f(step) } } : state;
}

function updateHost(state: RunState, stepId: string, host: string, f: (h: HostState) => HostState): RunState {
  return updateStep(state, stepId, (s) => ({
    ...s,
    hosts: { ...s.hosts, [host]: f(s.hosts[host] ?? { status: "pending", exitCode: null }) },
  }));
}

function mapHosts(
  hosts: Record<string, HostState>,
  f: (h: HostState, name: string) => HostState,
): Record<string, HostState> {
  return Object.fromEntries(Object.entries(hosts).map(([k, v]) => [k, f(v, k)]));
}
