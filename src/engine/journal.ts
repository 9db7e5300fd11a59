import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { RunbookError } from "../model/errors.ts";
import type { Plan } from "../model/plan.ts";
import type { EngineEvent } from "./events.ts";
import { type RunnerId, runnerAlive, sameRunner } from "./runner-alive.ts";
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
    const file = join(this.dir, "journal.jsonl");
    mendTornLine(file);
    this.fd = openSync(file, "a", 0o600);
  }

  append(event: EngineEvent): void {
    writeSync(this.fd, `${JSON.stringify(event)}\n`);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * A runner killed in the middle of a write leaves a last line without its newline: the next event
 * would be glued onto it. The fragment is moved aside (torn.txt, for whoever investigates) and the
 * journal cut back to its last whole line, so it stays valid JSON lines after any crash.
 */
function mendTornLine(file: string): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return;
  }
  if (size === 0) return;
  const text = readFileSync(file, "utf8");
  if (text.endsWith("\n")) return;
  const cut = text.lastIndexOf("\n") + 1;
  appendFileSync(join(dirname(file), "torn.txt"), `${text.slice(cut)}\n`, { mode: 0o600 });
  truncateSync(file, Buffer.byteLength(text.slice(0, cut)));
}

/** Who is running a run right now, kept beside its journal while the runner lives. */
export interface RunClaim extends RunnerId {
  who: string;
  since: string;
}

/**
 * Claims a run for this runner, before anything else happens: a second `runbook resume` of a run whose
 * runner is alive (in another terminal, say) is refused with who runs it and since when. A claim left
 * by a runner that died is taken over: that is what resume is for.
 */
/** The live runner running this run now (not this process), if there is one. */
export function liveClaim(dir: string, self: RunnerId): RunClaim | undefined {
  try {
    const holder = JSON.parse(readFileSync(join(dir, "runner.json"), "utf8")) as RunClaim;
    return !sameRunner(holder, self) && runnerAlive(holder) ? holder : undefined;
  } catch {
    return undefined;
  }
}

export function claimRun(dir: string, claim: RunClaim): void {
  const file = join(dir, "runner.json");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${JSON.stringify(claim)}\n`, { flag: "wx", mode: 0o600 });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    let holder: RunClaim | undefined;
    try {
      holder = JSON.parse(readFileSync(file, "utf8")) as RunClaim;
    } catch {
      holder = undefined;
    }
    if (holder && sameRunner(holder, claim)) return;
    if (holder && runnerAlive(holder)) throw runningError(dir, holder);
    rmSync(file, { force: true });
  }
  throw new RunbookError("refused", `another runner claimed run ${dir.split("/").pop()} at the same moment`);
}

export function runningError(dir: string, holder: RunClaim): RunbookError {
  return new RunbookError(
    "refused",
    `run ${dir.split("/").pop()} is being run right now by ${holder.who} (pid ${holder.pid} on ${holder.runner}, since ${holder.since})`,
    undefined,
    "a live runner is never taken over: wait for it to end, or stop it (q or Ctrl-C in its terminal), then resume",
  );
}

export function releaseRun(dir: string, claim: RunClaim): void {
  const file = join(dir, "runner.json");
  try {
    const holder = JSON.parse(readFileSync(file, "utf8")) as RunClaim;
    if (sameRunner(holder, claim)) rmSync(file, { force: true });
  } catch {}
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

/**
 * Run ids, oldest first. An id starts with its start time to the second; two runs started in the same
 * second are told apart by when their plan was written (the first thing a run writes), so `resume`
 * without an id never takes the wrong one.
 */
export function listRuns(root: string): string[] {
  let ids: string[];
  try {
    ids = readdirSync(join(root, "runs"));
  } catch {
    return [];
  }
  const written = (id: string) => {
    try {
      return statSync(join(root, "runs", id, "plan.json")).mtimeMs;
    } catch {
      return 0;
    }
  };
  const keyed = ids.map((id) => ({ id, second: id.slice(0, 15), at: written(id) }));
  keyed.sort((a, b) => a.second.localeCompare(b.second) || a.at - b.at || a.id.localeCompare(b.id));
  return keyed.map((k) => k.id);
}
