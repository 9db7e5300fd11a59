import type { EngineEvent } from "../engine/events.ts";
import { initialRunState, type RunState, reduceRun } from "../engine/state.ts";

export interface OutputLine {
  stream: "stdout" | "stderr";
  text: string;
}

/** Lines kept per machine per step for the screen; the journal keeps everything. */
export const MAX_SCREEN_LINES = 2000;

export interface RunSnapshot {
  run: RunState;
  /** `${stepId}\u0000${host}` -> the last MAX_SCREEN_LINES lines. */
  output: ReadonlyMap<string, readonly OutputLine[]>;
  startedAt?: number;
  finishedAt?: number;
  /** Reasons a run was refused (lock, host key), shown in the header. */
  refusals: string[];
  version: number;
}

export const outputKey = (stepId: string, host: string) => `${stepId}\u0000${host}`;

/**
 * Folds engine events into what the screen shows, and tells the UI at most every `intervalMs`, so a
 * machine printing as fast as it can never starves key handling or floods the terminal.
 */
export class RunStore {
  private snapshot: RunSnapshot = { run: initialRunState, output: new Map(), refusals: [], version: 0 };
  private readonly output = new Map<string, OutputLine[]>();
  /** The last line of each stream while it has no newline yet. */
  private readonly open = new Map<string, OutputLine>();
  private readonly changed = new Set<string>();
  private listeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private dirty = false;
  private run: RunState = initialRunState;
  private startedAt?: number;
  private finishedAt?: number;
  private refusals: string[] = [];

  constructor(
    private readonly intervalMs = 50,
    private readonly clock: () => number = Date.now,
  ) {}

  readonly subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  readonly getSnapshot = (): RunSnapshot => this.snapshot;

  /** The engine's emit target. */
  readonly push = (e: EngineEvent): void => {
    this.run = reduceRun(this.run, e);
    switch (e.type) {
      case "output":
        this.append(e.stepId, e.host, e.stream, e.text);
        break;
      case "run-started":
        this.startedAt ??= this.clock();
        break;
      case "run-finished":
        this.finishedAt = this.clock();
        break;
      case "refused":
        this.refusals = [...this.refusals, e.reason];
        break;
      default:
        break;
    }
    this.schedule(e.type === "run-finished" || e.type === "refused");
  };

  /** Immediately publishes pending changes (tests, and before the app exits). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.publish();
  }

  private append(stepId: string, host: string, stream: "stdout" | "stderr", text: string): void {
    const key = outputKey(stepId, host);
    this.changed.add(key);
    let lines = this.output.get(key);
    if (!lines) {
      lines = [];
      this.output.set(key, lines);
    }
    const openKey = `${key}\u0000${stream}`;
    const segments = text.split("\n");
    segments.forEach((seg, i) => {
      const open = i === 0 ? this.open.get(openKey) : undefined;
      const at = open ? (lines as OutputLine[]).lastIndexOf(open) : -1;
      if (open && at >= 0) {
        // A line that arrived without its newline (a prompt, a progress bar) is completed in place.
        const joined = { stream, text: open.text + seg };
        (lines as OutputLine[])[at] = joined;
        this.open.set(openKey, joined);
      } else if (!(i === segments.length - 1 && seg === "")) {
        const line = { stream, text: seg };
        (lines as OutputLine[]).push(line);
        this.open.set(openKey, line);
      }
      if (i < segments.length - 1) this.open.delete(openKey);
    });
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
      startedAt: this.startedAt,
      finishedAt: this.finishedAt,
      refusals: this.refusals,
      version: this.snapshot.version + 1,
    };
    for (const l of this.listeners) l();
  }
}
