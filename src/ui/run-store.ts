import type { EngineEvent } from "../engine/events.ts";
import { initialRunState, type RunState, reduceRun } from "../engine/state.ts";
import { cleanLine } from "../util/clean-line.ts";

export interface OutputLine {
  /** "note" lines are the UI's own markers in a machine's output (a retry, a rollback). */
  stream: "stdout" | "stderr" | "note";
  text: string;
}

/** Lines kept per machine per step for the screen; the journal keeps everything. */
export const MAX_SCREEN_LINES = 2000;

/** What the screen shows: the run's state (the same fold as the engine's), and the machines' output. */
export interface RunSnapshot {
  run: RunState;
  /** `${stepId}\u0000${host}` -> the last MAX_SCREEN_LINES lines. */
  output: ReadonlyMap<string, readonly OutputLine[]>;
  /** The step that last started or printed: its output stays on screen until the next one starts. */
  lastActive?: string;
  version: number;
}

export const outputKey = (stepId: string, host: string) => `${stepId}\u0000${host}`;

/**
 * Folds engine events into what the screen shows, and tells the UI at most every `intervalMs`, so a
 * machine printing as fast as it can never starves key handling or floods the terminal.
 */
export class RunStore {
  private snapshot: RunSnapshot = { run: initialRunState, output: new Map(), version: 0 };
  private readonly output = new Map<string, OutputLine[]>();
  /** The last line of each stream while it has no newline yet, with its text as received. */
  private readonly open = new Map<string, { line: OutputLine; raw: string }>();
  private readonly changed = new Set<string>();
  private listeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private dirty = false;
  private run: RunState = initialRunState;
  private lastActive?: string;

  /**
   * `earlier`: the journaled events of an interrupted run being resumed. Its state is their fold, as
   * the engine's is; their output is shown again, so an operator resuming a failed step sees why it
   * failed before deciding to run it again.
   */
  constructor(
    private readonly intervalMs = 50,
    earlier: readonly EngineEvent[] = [],
  ) {
    if (earlier.length === 0) return;
    for (const e of earlier) this.push(e);
    // That run is being resumed: not over, and nothing of it is current until the runner says so.
    this.run = { ...this.run, current: undefined, finishedAt: undefined, ended: undefined };
    for (const key of this.output.keys()) {
      const [stepId = "", host = ""] = key.split("\u0000");
      this.note(stepId, host, "── until the earlier runner stopped ──");
    }
    this.flush();
  }

  readonly subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  readonly getSnapshot = (): RunSnapshot => this.snapshot;

  /** The engine's emit target. */
  readonly push = (e: EngineEvent): void => {
    const before = this.run;
    this.run = reduceRun(this.run, e);
    switch (e.type) {
      case "output":
        this.lastActive = e.stepId;
        this.append(e.stepId, e.host, e.stream, e.text);
        break;
      case "step-started":
        this.lastActive = e.stepId;
        break;
      case "host-status":
        // A machine that already printed something for this step is running it again (a retry): marked
        // once, when it starts again or says why (the command's own start while running adds nothing).
        if (
          e.status === "running" &&
          (this.output.get(outputKey(e.stepId, e.host))?.length ?? 0) > 0 &&
          (e.detail !== undefined || !isActive(before.steps[e.stepId]?.hosts[e.host]?.status))
        )
          this.note(e.stepId, e.host, `── ${e.detail ?? "run again"} (${clockTime(e.at)}) ──`);
        break;
      case "decision":
        if (e.decision.kind === "rollback") {
          const stepId = e.decision.stepId ?? e.stepId ?? "";
          const hosts = e.decision.hosts ?? Object.keys(before.steps[stepId]?.hosts ?? {});
          this.lastActive = stepId;
          for (const h of hosts) this.note(stepId, h, `── rollback by ${e.by} (${clockTime(e.at)}) ──`);
        }
        break;
      case "rollback-finished":
        this.note(e.stepId, e.host, e.ok ? "── rollback ok ──" : `── rollback failed: ${e.error ?? ""} ──`);
        break;
      case "run-started":
      case "run-finished":
      case "refused":
      case "question":
      case "captured":
      case "host-finished":
      case "step-finished":
      case "command-sent":
      case "command-started":
      case "batch-started":
        break;
    }
    // What the operator must see at once: a question, a refusal, the end.
    this.schedule(e.type === "run-finished" || e.type === "refused" || e.type === "question");
  };

  /** Immediately publishes pending changes (tests, and before the app exits). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.publish();
  }

  private bufferOf(key: string): OutputLine[] {
    let lines = this.output.get(key);
    if (!lines) {
      lines = [];
      this.output.set(key, lines);
    }
    this.changed.add(key);
    return lines;
  }

  private note(stepId: string, host: string, text: string): void {
    const key = outputKey(stepId, host);
    const lines = this.bufferOf(key);
    lines.push({ stream: "note", text });
    // A marker ends any unfinished line: what follows starts on a line of its own.
    this.open.delete(`${key}\u0000stdout`);
    this.open.delete(`${key}\u0000stderr`);
    this.trim(lines);
  }

  private append(stepId: string, host: string, stream: "stdout" | "stderr", text: string): void {
    const key = outputKey(stepId, host);
    const lines = this.bufferOf(key);
    const openKey = `${key}\u0000${stream}`;
    const segments = text.split("\n");
    segments.forEach((seg, i) => {
      const open = i === 0 ? this.open.get(openKey) : undefined;
      const at = open ? lines.lastIndexOf(open.line) : -1;
      if (open && at >= 0) {
        // A line that arrived without its newline (a prompt, a progress bar) is completed in place.
        const raw = open.raw + seg;
        const line = { stream, text: cleanLine(raw) };
        lines[at] = line;
        this.open.set(openKey, { line, raw });
      } else if (!(i === segments.length - 1 && seg === "")) {
        const line = { stream, text: cleanLine(seg) };
        lines.push(line);
        this.open.set(openKey, { line, raw: seg });
      }
      if (i < segments.length - 1) this.open.delete(openKey);
    });
    this.trim(lines);
  }

  private trim(lines: OutputLine[]): void {
    if (lines.length > MAX_SCREEN_LINES) lines.splice(0, lines.length - MAX_SCREEN_LINES);
  }

  private schedule(now: boolean): void {
    this.dirty = true;
    if (now) {
      this.flush();
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.publish();
    }, this.intervalMs);
  }

  /** Only the buffers that changed are copied: publishing stays cheap however much output there is. */
  private changedOutput(): Map<string, readonly OutputLine[]> {
    const out = new Map(this.snapshot.output);
    for (const k of this.changed) out.set(k, (this.output.get(k) ?? []).slice());
    this.changed.clear();
    return out;
  }

  private publish(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.snapshot = {
      run: this.run,
      output: this.changedOutput(),
      lastActive: this.lastActive,
      version: this.snapshot.version + 1,
    };
    for (const l of this.listeners) l();
  }
}

/** HH:MM:SS of an ISO time, in the operator's local time zone. */
function clockTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toTimeString().slice(0, 8);
}

function isActive(status: string | undefined): boolean {
  return status === "running" || status === "waiting";
}
