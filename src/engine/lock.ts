import { shellQuote } from "../plan/shell-quote.ts";
import type { Transport } from "../transport/transport.ts";

/** Who holds a machine: written into the lock on the machine itself, so every operator sees it. */
export interface LockInfo {
  runId: string;
  who: string;
  /** The runner's host and PID, to tell a live holder from one that crashed. */
  runner: string;
  pid: number;
  since: string;
}

export type LockResult =
  | { ok: true }
  | { ok: false; holder: LockInfo | undefined; stale: boolean; reason: string };

/**
 * One lock per machine name (several logical machines may share a host and a home). `mkdir` is atomic on
 * every file system, so two runners can never both take it.
 */
export function lockDir(machine: string): string {
  return `~/.runbook/locks/${machine}.lock`;
}

export async function acquireLock(
  transport: Transport,
  machine: string,
  info: LockInfo,
  opts: { breakStale: boolean; isAlive(runner: string, pid: number): boolean },
): Promise<LockResult> {
  const dir = shellQuote(lockDir(machine));
  const body = shellQuote(JSON.stringify(info));
  const take = `mkdir -p ~/.runbook/locks && mkdir ${dir} 2>/dev/null && printf '%s\\n' ${body} > ${dir}/info`;
  if ((await transport.exec(take, { timeoutMs: 15_000 })).code === 0) return { ok: true };
  let text = "";
  await transport.exec(`cat ${dir}/info 2>/dev/null`, {
    timeoutMs: 15_000,
    onStdout: (t) => {
      text += t;
    },
  });
  let holder: LockInfo | undefined;
  try {
    holder = JSON.parse(text) as LockInfo;
  } catch {
    holder = undefined;
  }
  // Our own run (a resume) may take its lock back.
  const ours = holder?.runId === info.runId;
  const stale = holder ? !opts.isAlive(holder.runner, holder.pid) : true;
  if (ours || (stale && opts.breakStale)) {
    const retake = `printf '%s\\n' ${body} > ${dir}/info`;
    if ((await transport.exec(`mkdir -p ${dir} && ${retake}`, { timeoutMs: 15_000 })).code === 0)
      return { ok: true };
  }
  const since = holder ? `${holder.who} (run ${holder.runId}, since ${holder.since})` : "an unreadable lock";
  return {
    ok: false,
    holder,
    stale,
    reason: stale
      ? `machine ${machine} is locked by ${since}, whose runner is gone; break it with --break-lock if nobody is working on it`
      : `machine ${machine} is locked by ${since}; wait for that run to end or hand over with runbook resume`,
  };
}

export async function releaseLock(transport: Transport, machine: string, runId: string): Promise<void> {
  const dir = shellQuote(lockDir(machine));
  // Only our own lock: a lock broken and taken over by someone else stays theirs.
  await transport.exec(
    `grep -q ${shellQuote(`"runId":"${runId}"`)} ${dir}/info 2>/dev/null && rm -rf ${dir}`,
    { timeoutMs: 15_000 },
  );
}
