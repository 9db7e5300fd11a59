import type { HostStatus } from "../engine/events.ts";
import { shortCheck } from "../engine/process-check.ts";
import { type RunState, stepAtAGlance } from "../engine/state.ts";
import type { Plan, PlannedStep } from "../model/plan.ts";
import { stepNumber } from "../model/step-number.ts";
import { plural } from "../util/plural.ts";
import type { Question } from "./asking.ts";
import type { Ending, Mode } from "./components/header.tsx";
import { type OutputLine, outputKey, type RunSnapshot } from "./run-store.ts";
import type { Tone } from "./theme.ts";
import type { UiState } from "./ui-state.ts";

export interface StepEntry {
  step: PlannedStep;
  /** The phase's title. */
  phase: string;
}

export interface OutputView {
  stepId: string;
  host: string;
  lines: readonly OutputLine[];
  /**
   * True when this is not the shown step's output but the last step that ran: between steps it stays
   * on screen, under the next step's card, until that step starts.
   */
  previous: boolean;
}

/** Everything the screen shows, derived from the run, the question asked and what the operator selected. */
export interface View {
  entries: StepEntry[];
  /** Display status of each step (a step the engine asks about shows as awaiting a decision). */
  statuses: ReadonlyMap<string, HostStatus>;
  /** The step the run is at. */
  current?: string;
  shownIndex: number;
  shown?: PlannedStep;
  /** Machines of the shown step, and the selected one. */
  hosts: string[];
  host?: string;
  /** The shown step's machines that failed, or whose state is unknown, in plan order (f visits them). */
  failedHosts: string[];
  output?: OutputView;
  /** What b / B roll back between steps: the browsed step, else the last one that ran. */
  rollbackTarget?: { step: PlannedStep; host: string };
  /** The engine is busy (commands, connections, a rollback) rather than waiting for the operator. */
  running: boolean;
  finished: boolean;
  stepsDone: number;
  hostsDone: number;
  hostsTotal: number;
  /** Set once the run is over: how it ended. */
  ending?: Ending;
  status: { text: string; tone: Tone };
}

export interface ViewInput {
  plan: Plan;
  snapshot: RunSnapshot;
  question?: Question;
  ui: UiState;
  mode: Mode;
}

const DONE: readonly HostStatus[] = ["ok", "skipped", "not-applicable", "rolled-back"];

export function stepEntries(plan: Plan): StepEntry[] {
  return plan.phases.flatMap((p) => p.steps.map((step) => ({ step, phase: p.title })));
}

export function questionStep(q: Question | undefined): string | undefined {
  switch (q?.kind) {
    case "before-step":
    case "confirm-word":
    case "after-failure":
    case "unknown-host":
      return q.step.id;
    case "rollback-on-abort":
    case "secret":
    case "passphrase":
    case "become-password":
    case "host-key":
    case undefined:
      return undefined;
  }
}

/** How a step reads on screen: as the run's state says (see stepAtAGlance), or asked about now. */
export function displayStatus(run: RunState, id: string, question?: Question): HostStatus {
  const status = stepAtAGlance(run.steps[id]);
  if (status === "pending" && questionStep(question) === id) return "awaiting-decision";
  return status;
}

export function buildView(
  { plan, snapshot, question, ui, mode }: ViewInput,
  entries = stepEntries(plan),
): View {
  const run = snapshot.run;
  const finished = snapshot.run.finishedAt !== undefined;
  const statuses = new Map(entries.map((e) => [e.step.id, displayStatus(run, e.step.id, question)]));
  const statusOf = (id: string) => statuses.get(id) ?? "pending";
  const entryOf = (id: string) => entries.find((e) => e.step.id === id)?.step;
  const asked = questionStep(question);
  const firstNotDone = entries.find((e) => !DONE.includes(statusOf(e.step.id)))?.step.id;
  // A run refused before its first step (a lock, a host key) stopped at no step: show where it would go on.
  const current =
    asked ??
    (finished
      ? (run.ended?.failedStep ?? (run.status === "ok" ? undefined : firstNotDone) ?? entries.at(-1)?.step.id)
      : (run.current ?? firstNotDone));
  const shownId = ui.browsing ?? current ?? entries[0]?.step.id;
  const shownIndex = Math.max(
    0,
    entries.findIndex((e) => e.step.id === shownId),
  );
  const shown = entries[shownIndex]?.step;
  const hosts = shown?.targets.map((t) => t.host) ?? [];
  const stepState = shown ? run.steps[shown.id] : undefined;
  const failedFirst = hosts.find((h) => stepState?.hosts[h]?.status === "failed");
  const host = ui.host && hosts.includes(ui.host) ? ui.host : (failedFirst ?? hosts[0]);
  const linesOf = (stepId: string, h: string) => snapshot.output.get(outputKey(stepId, h)) ?? [];

  let output: OutputView | undefined =
    shown && host ? { stepId: shown.id, host, lines: linesOf(shown.id, host), previous: false } : undefined;
  const shownRan =
    shown !== undefined &&
    (!["pending", "awaiting-decision"].includes(statusOf(shown.id)) ||
      hosts.some((h) => linesOf(shown.id, h).length > 0));
  const prev = entries.find((e) => e.step.id === snapshot.lastActive)?.step;
  if (!ui.browsing && !shownRan && prev && prev.id !== shown?.id) {
    const prevHosts = prev.targets.map((t) => t.host);
    const prevState = run.steps[prev.id];
    const picked = [ui.host, host].find((x) => x !== undefined && prevHosts.includes(x));
    const h = picked ?? prevHosts.find((x) => prevState?.hosts[x]?.status === "failed") ?? prevHosts[0];
    if (h) output = { stepId: prev.id, host: h, lines: linesOf(prev.id, h), previous: true };
  }

  let rollbackTarget: View["rollbackTarget"];
  if (ui.browsing && shown && host && shownRan && shown.id !== asked) rollbackTarget = { step: shown, host };
  else if (!ui.browsing && output?.previous && prev) rollbackTarget = { step: prev, host: output.host };

  const curState = current ? run.steps[current] : undefined;
  const curHosts = Object.values(curState?.hosts ?? {});
  // Busy unless the engine waits on the operator; a question can also come while other machines run
  // (a host key on first contact, a passphrase), and then quitting still stops commands.
  const busyHost = Object.values(run.steps).some((st) =>
    Object.values(st.hosts).some((h) => h.status === "running" || h.status === "waiting"),
  );
  const running = mode !== "DRY RUN" && !finished && (question === undefined || busyHost);
  const view: Omit<View, "status"> = {
    entries,
    statuses,
    current,
    shownIndex,
    shown,
    hosts,
    host,
    failedHosts: hosts.filter((h) => ["failed", "unknown"].includes(stepState?.hosts[h]?.status ?? "")),
    output,
    rollbackTarget,
    running,
    finished,
    // A failed keep-going check is behind the run, as a done step is: the run went on past it.
    stepsDone: entries.filter(
      (e) => DONE.includes(statusOf(e.step.id)) || wentPast(e.step, statusOf(e.step.id)),
    ).length,
    hostsDone: curHosts.filter(
      (h) => h.status === "ok" || (current !== undefined && wentPast(entryOf(current), h.status)),
    ).length,
    hostsTotal: curHosts.length,
    ...(finished && mode !== "DRY RUN" ? { ending: endingOf(run.status) } : {}),
  };
  return { ...view, status: statusLine(view, { plan, snapshot, question, ui, mode }) };
}

function endingOf(status: RunState["status"]): Ending {
  switch (status) {
    case "ok":
      return "FINISHED";
    case "failed":
      return "FAILED";
    case "empty":
      return "NOTHING RAN";
    case "aborted":
    case "running":
    case "idle":
      return "STOPPED";
  }
}

// Not the run id itself: at 80 columns it would be cut, and a command that cannot be copied is worse
// than none. Quitting prints the whole command below the summary.
const HOW_TO_RESUME = "q quits, prints how to resume";

function wentPast(step: PlannedStep | undefined, status: HostStatus): boolean {
  return step?.keepGoing === true && status === "failed";
}

function statusLine(v: Omit<View, "status">, { snapshot, question: q, ui, mode }: ViewInput): View["status"] {
  const ids = v.entries.map((e) => e.step.id);
  const numberOf = (id: string | undefined) => `step ${stepNumber(ids, id)}`;
  const numbered = (id: string | undefined) => {
    const entry = v.entries.find((e) => e.step.id === id);
    return entry ? `${numberOf(id)} "${entry.step.title}"` : "";
  };
  if (ui.flash) return { text: ui.flash, tone: "warning" };
  const refusal = snapshot.run.refusals[0]?.reason;
  if (refusal) return { text: `refused: ${refusal}`, tone: "danger" };
  if (mode === "DRY RUN")
    return { text: "dry run: nothing runs here · ↑↓ browse the steps · Tab the machines", tone: "accent" };
  if (ui.browsing && ui.browsing !== v.current && !v.finished)
    return {
      text: `browsing ${numberOf(v.shown?.id)} (nothing runs) · Esc back to ${numbered(v.current)}`,
      tone: "accent",
    };
  if (v.finished) {
    const skipped = v.entries.filter((e) => v.statuses.get(e.step.id) === "skipped").length;
    switch (snapshot.run.status) {
      case "ok":
        return {
          text: `run finished ok: ${v.stepsDone}/${ids.length} steps done${skipped ? `, ${skipped} skipped` : ""}`,
          tone: "ok",
        };
      case "failed":
        if (snapshot.run.ended?.failedChecks)
          return {
            text: `${snapshot.run.ended.stoppedBefore ? `stopped before ${numberOf(snapshot.run.ended.stoppedBefore)}: ` : "run finished, "}${plural(snapshot.run.ended.failedChecks.length, "check")} failed: ${snapshot.run.ended.failedChecks.map((id) => numberOf(id)).join(", ")} · ${HOW_TO_RESUME}`,
            tone: "danger",
          };
        return {
          text: `run failed at ${numberOf(v.current)} · ${HOW_TO_RESUME}`,
          tone: "danger",
        };
      case "empty":
        return { text: `run finished: ${snapshot.run.ended?.reason ?? "nothing ran"}`, tone: "warning" };
      case "aborted":
      case "running":
      case "idle":
        return {
          text: `run stopped at ${numberOf(v.current)} · ${HOW_TO_RESUME}`,
          tone: "warning",
        };
    }
  }
  switch (q?.kind) {
    case "before-step":
      return {
        text: `next: ${numbered(q.step.id)} [${q.step.risk}] on ${hostList(q.step.targets.map((t) => t.host))} · Enter runs it`,
        tone: "accent",
      };
    case "confirm-word":
      return { text: `${numbered(q.step.id)} is destructive: type its word to run it`, tone: "danger" };
    case "after-failure":
      return { text: `${numbered(q.step.id)} failed on ${hostList(q.failedHosts)}`, tone: "danger" };
    case "unknown-host":
      return {
        text: `${numbered(q.step.id)} on ${q.host}: state unknown, ${shortCheck(q.check)}`,
        tone: "danger",
      };
    case "rollback-on-abort":
      return { text: "the run stops here: roll back the completed steps?", tone: "warning" };
    case "host-key":
      return { text: `unknown host key for ${q.question.host}: compare the fingerprint`, tone: "danger" };
    case "secret":
      return { text: `secret ${q.name} is needed`, tone: "warning" };
    case "passphrase":
      return { text: `the key ${q.identity} needs its passphrase`, tone: "warning" };
    case "become-password":
      return { text: `sudo asks for a password to run commands as ${q.users.join(", ")}`, tone: "warning" };
    case undefined:
      if (snapshot.run.lastStartedAt === undefined)
        return { text: "connecting to the machines…", tone: "muted" };
      if (v.current && snapshot.run.steps[v.current]?.status === "running")
        return {
          text: `running ${numbered(v.current)}${batchText(snapshot.run.steps[v.current])} · ${v.hostsDone}/${v.hostsTotal} machines done`,
          tone: "running",
        };
      return { text: "working…", tone: "muted" };
  }
}

/** " · batch 2/4", or " · pausing 30s before batch 2/4" while none of the batch has started. */
function batchText(step: RunState["steps"][string] | undefined): string {
  const b = step?.batch;
  if (!b) return "";
  const pause = b.pauseMs;
  const waiting =
    pause !== undefined && b.hosts.every((h) => (step?.hosts[h]?.status ?? "pending") === "pending");
  return waiting
    ? ` · pausing ${pause / 1000}s before batch ${b.index}/${b.of}`
    : ` · batch ${b.index}/${b.of}`;
}

export function hostList(hosts: string[], max = 4): string {
  if (hosts.length === 0) return "no machine";
  return hosts.length <= max ? hosts.join(", ") : `${hosts.slice(0, max).join(", ")} +${hosts.length - max}`;
}
