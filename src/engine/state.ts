import type {
  EngineEvent,
  EventOf,
  Failure,
  HostStatus,
  RunCounts,
  RunStatus,
  StepStatus,
} from "./events.ts";

export interface HostState {
  status: HostStatus;
  exitCode: number | null;
  durationMs?: number;
  error?: string;
  detail?: string;
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

/** The error of a machine whose command was stopped (q, Ctrl-C, a signal), not failed on its own. */
export const CANCELLED = "cancelled";

export const stoppedByOperator = (h: HostState): boolean => h.status === "failed" && h.error === CANCELLED;

export interface StepState {
  id: string;
  title: string;
  phase: string;
  status: StepStatus;
  hosts: Record<string, HostState>;
  skipReason?: string;
}

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
  /** How the run ended, as its run-finished event says. */
  ended?: Omit<EventOf<"run-finished">, "type" | "at">;
}

export const initialRunState: RunState = { status: "idle", order: [], steps: {}, captured: {} };

/** Pure reducer: the same fold rebuilds state live (UI) and from a journal (resume). */
export function reduceRun(state: RunState, event: EngineEvent): RunState {
  switch (event.type) {
    case "run-started": {
      const steps: Record<string, StepState> = {};
      for (const s of event.steps) {
        const prior = state.steps[s.id];
        steps[s.id] = prior ?? {
          id: s.id,
          title: s.title,
          phase: s.phase,
          status: "pending",
          hosts: Object.fromEntries(
            s.hosts.map((h) => [h, { status: "pending" as HostStatus, exitCode: null }]),
          ),
        };
      }
      return {
        ...state,
        runId: event.runId,
        planHash: event.planHash,
        title: event.title,
        status: "running",
        ended: undefined,
        order: event.steps.map((s) => s.id),
        steps,
      };
    }
    case "step-started":
      return updateStep({ ...state, current: event.stepId }, event.stepId, (s) => ({
        ...s,
        status: "running",
      }));
    case "decision":
      if (event.decision.kind === "done" || event.decision.kind === "rerun") {
        const d = event.decision;
        return updateStep(state, event.stepId, (s) => ({
          ...s,
          hosts: mapHosts(s.hosts, (h, name) =>
            d.hosts.includes(name)
              ? d.kind === "done"
                ? { ...h, status: "ok", detail: `counted as done by ${event.by}` }
                : { status: "pending", exitCode: null, detail: `run again, decided by ${event.by}` }
              : h,
          ),
        }));
      }
      if (event.decision.kind === "skip") {
        const reason = event.decision.reason;
        return updateStep(state, event.stepId, (s) => ({
          ...s,
          status: "skipped",
          skipReason: reason,
          hosts: mapHosts(s.hosts, (h) => (h.status === "ok" ? h : { ...h, status: "skipped" })),
        }));
      }
      return state;
    case "host-status":
      return updateHost(state, event.stepId, event.host, (h) => {
        // A new attempt starts with nothing sent yet.
        const fresh = event.status === "running" && h.status !== "running" && h.status !== "waiting";
        const changed = event.status !== h.status || event.timeoutMs !== undefined;
        return {
          ...h,
          status: event.status,
          detail: event.detail,
          since: changed ? Date.parse(event.at) : h.since,
          timeoutMs: changed ? event.timeoutMs : h.timeoutMs,
          ...(fresh ? { sent: undefined, process: undefined } : {}),
        };
      });
    case "command-sent":
      return updateHost(state, event.stepId, event.host, (h) => ({ ...h, sent: true }));
    case "command-started":
      return updateHost(state, event.stepId, event.host, (h) => ({
        ...h,
        sent: true,
        process: { pid: event.pid, id: event.id },
      }));
    case "host-finished":
      return updateHost(state, event.stepId, event.host, (h) => ({
        status: event.status,
        exitCode: event.exitCode,
        durationMs: event.durationMs,
        error: event.error,
        ...(event.detail !== undefined ? { detail: event.detail } : {}),
        ...(event.tail !== undefined ? { tail: event.tail } : {}),
        ...(h.sent ? { sent: true } : {}),
        ...(h.process ? { process: h.process } : {}),
      }));
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
    case "step-finished":
      return updateStep(state, event.stepId, (s) => ({ ...s, status: event.status }));
    case "run-finished": {
      const { type: _t, at: _a, ...ended } = event;
      return { ...state, status: event.status, current: undefined, ended };
    }
    case "output":
    case "refused":
      return state;
  }
}

/** A step's status from its machines: failed wins, then running, then done. */
export function summarizeHosts(hosts: Record<string, HostState>): StepStatus {
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

/** Every machine a step ended failed (or unknown) on, in the order of the steps. */
export function runFailures(state: RunState): Failure[] {
  const out: Failure[] = [];
  for (const id of state.order) {
    for (const [host, h] of Object.entries(state.steps[id]?.hosts ?? {})) {
      if (h.status !== "failed" && h.status !== "unknown") continue;
      out.push({
        stepId: id,
        host,
        status: h.status,
        exitCode: h.exitCode,
        ...(h.error !== undefined ? { error: h.error } : {}),
        ...(h.tail !== undefined ? { tail: h.tail } : {}),
      });
    }
  }
  return out;
}

/** What a run's steps came to (see RunCounts), from its state. */
export function runCounts(state: RunState): RunCounts {
  const counts: RunCounts = {
    steps: 0,
    ran: 0,
    notApplicable: 0,
    skipped: 0,
    hosts: { ok: 0, failed: 0, notApplicable: 0 },
  };
  for (const id of state.order) {
    const step = state.steps[id];
    if (!step) continue;
    counts.steps++;
    const hosts = Object.values(step.hosts);
    for (const h of hosts) {
      if (h.status === "ok") counts.hosts.ok++;
      else if (h.status === "failed") counts.hosts.failed++;
      else if (h.status === "not-applicable") counts.hosts.notApplicable++;
    }
    if (step.status === "skipped") counts.skipped++;
    else if (step.status === "not-applicable") counts.notApplicable++;
    else if (
      hosts.some((h) => h.status === "ok" || h.status === "failed" || h.status === "rolled-back") ||
      (hosts.length === 0 && step.status === "ok")
    )
      counts.ran++;
  }
  return counts;
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
