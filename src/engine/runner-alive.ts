import { readFileSync } from "node:fs";
import { hostname } from "node:os";

/** This runner, as a lock or a journal records it: its host, PID and start time. */
export interface RunnerId {
  runner: string;
  pid: number;
  /** Start time of the process (clock ticks since boot, from /proc), so a reused PID is told apart. */
  start?: string;
}

export function thisRunner(): RunnerId {
  const start = startOf(process.pid);
  return { runner: hostname(), pid: process.pid, ...(start ? { start } : {}) };
}

export function sameRunner(a: RunnerId, b: RunnerId): boolean {
  return a.runner === b.runner && a.pid === b.pid && (a.start ?? "") === (b.start ?? "");
}

/**
 * Whether a runner is alive: one on another machine is assumed alive (we cannot tell from here); one
 * on this machine is alive while its PID runs, is not a zombie, and started when it says it did.
 */
export function runnerAlive(r: RunnerId): boolean {
  if (r.runner !== hostname()) return true;
  try {
    process.kill(r.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${r.pid}/stat`, "utf8");
  } catch {
    return true; // no /proc: the PID is all we can go by
  }
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // A zombie answers kill(0) until it is reaped, which can take a while: it is not a live runner.
  if (fields[0] === "Z") return false;
  return r.start === undefined || fields[19] === r.start;
}

function startOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}
