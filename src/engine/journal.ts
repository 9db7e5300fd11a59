import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Plan } from "../model/plan.ts";
import type { EngineEvent } from "./events.ts";
import { initialRunState, type RunState, reduceRun } from "./state.ts";

/** Where runs are kept: $RUNBOOK_STATE_DIR, else $XDG_STATE_HOME/runbook, else ~/.local/state/runbook. */
export function stateDir(env: Record<string, string | undefined>): string {
  if (env.RUNBOOK_STATE_DIR) return env.RUNBOOK_STATE_DIR;
  return join(env.XDG_STATE_HOME || join(homedir(), ".local", "state"), "runbook");
}

export function newRunId(title: string, date = new Date()): string {
  const stamp = date.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 32);
  return `${stamp}-${slug}-${Math.random().toString(16).slice(2, 6)}`;
}

/**
 * Append-only JSON lines, one event per write(2) so a crash (even kill -9) loses at most the event being
 * written. Secrets are masked before events get here.
 */
export class Journal {
  private fd: number;
  readonly dir: string;

  constructor(
    root: string,
    readonly runId: string,
    plan?: Plan,
  ) {
    this.dir = join(root, "runs", runId);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    if (plan && !existsSync(join(this.dir, "plan.json"))) {
      writeFileSync(join(this.dir, "plan.json"), `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o600 });
    }
    this.fd = openSync(join(this.dir, "journal.jsonl"), "a", 0o600);
  }

  append(event: EngineEvent): void {
    writeSync(this.fd, `${JSON.stringify(event)}\n`);
  }

  close(): void {
    closeSync(this.fd);
  }
}

export interface StoredRun {
  runId: string;
  dir: string;
  plan: Plan;
  events: EngineEvent[];
  state: RunState;
}

/** Reads a run back; a torn last line (the runner died mid-write) is ignored. */
export function readRun(root: string, runId: string): StoredRun {
  const dir = join(root, "runs", runId);
  const plan = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as Plan;
  const events: EngineEvent[] = [];
  for (const line of readFileSync(join(dir, "journal.jsonl"), "utf8").split("\n")) {
    if (line.trim() === "") continue;
    try {
      events.push(JSON.parse(line) as EngineEvent);
    } catch {
      // only the last line can be torn
    }
  }
  return { runId, dir, plan, events, state: events.reduce(reduceRun, initialRunState) };
}

/** Run ids, oldest first (ids start with their start time). */
export function listRuns(root: string): string[] {
  try {
    return readdirSync(join(root, "runs")).sort();
  } catch {
    return [];
  }
}
