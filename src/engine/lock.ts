import type { Transport } from "../transport/transport.ts";
import { shellQuote } from "../util/shell-quote.ts";
import { type RunnerId, runnerAlive, sameRunner } from "./runner-alive.ts";

/** Who holds a machine: written into the lock on the machine itself, so every operator sees it. */
export interface LockInfo extends RunnerId {
  runId: string;
  who: string;
  since: string;
}

export type LockResult =
  | { ok: true }
  | { ok: false; holder: LockInfo | undefined; stale: boolean; reason: string };

/**
 * One lock per account on a machine, in that account's home: whatever the inventory calls the
 * machine, and however its address is written, the same login finds the same lock, so a renamed or
 * re-addressed inventory is refused like any other. (Several machines of one inventory may share an
 * account, as the local inventory's do: the run holds the one lock for all of them.) `mkdir` is atomic
 * on every file system, so two runners can never both take it.
 */
export const LOCK_DIR = "~/.runbook/lock";

export async function acquireLock(
  transport: Transport,
  machine: string,
  info: LockInfo,
  opts: { breakStale: boolean },
): Promise<LockResult> {
  const dir = shellQuote(LOCK_DIR);
  const write = `printf '%s\\n' ${shellQuote(JSON.stringify(info))} > ${dir}/info.tmp && mv -f ${dir}/info.tmp ${dir}/info`;
  const take = `mkdir -p ~/.runbook && mkdir ${dir} 2>/dev/null && ${write}`;
  if ((await transport.exec(take, { timeoutMs: 15_000 })).code === 0) return { ok: true };
  const holder = await readHolder(transport);
  // This runner already holds it through another machine of the same account.
  if (holder && holder.runId === info.runId && sameRunner(holder, info)) return { ok: true };
  const alive = holder ? runnerAlive(holder) : false;
  // Our own run whose runner died (a resume), or a stale lock the operator chose to break.
  if (!alive && (holder?.runId === info.runId || opts.breakStale))
    return retake(transport, write, holder, machine);
  return { ok: false, holder, stale: !alive, reason: refusal(machine, holder, info, alive) };
}

async function retake(
  transport: Transport,
  write: string,
  holder: LockInfo | undefined,
  machine: string,
): Promise<LockResult> {
  if (
    (await transport.exec(`mkdir -p ${shellQuote(LOCK_DIR)} && ${write}`, { timeoutMs: 15_000 })).code === 0
  )
    return { ok: true };
  return { ok: false, holder, stale: true, reason: `cannot take over the lock on ${machine}` };
}

async function readHolder(transport: Transport): Promise<LockInfo | undefined> {
  const dir = shellQuote(LOCK_DIR);
  let text = "";
  // The holder may be writing its info right now: give it a moment.
  await transport.exec(
    `i=0; while [ ! -f ${dir}/info ] && [ $i -lt 20 ]; do sleep 0.05; i=$((i+1)); done; cat ${dir}/info 2>/dev/null`,
    {
      timeoutMs: 15_000,
      onStdout: (t) => {
        text += t;
      },
    },
  );
  try {
    return JSON.parse(text) as LockInfo;
  } catch {
    return undefined;
  }
}

function refusal(machine: string, holder: LockInfo | undefined, info: LockInfo, alive: boolean): string {
  if (!holder) {
    return `machine ${machine} is locked (${LOCK_DIR}) and the lock cannot be read; if nobody is working on it, break it with --break-lock`;
  }
  const by = `${holder.who} (run ${holder.runId}, pid ${holder.pid} on ${holder.runner}, since ${holder.since})`;
  if (holder.runId === info.runId) {
    return `run ${holder.runId} is still being run by ${by} on ${machine}: a live runner is never taken over; wait for it to end or stop it (q or Ctrl-C in its terminal), then resume`;
  }
  return alive
    ? `machine ${machine} is locked by ${by}; wait for that run to end or hand over with runbook resume`
    : `machine ${machine} is locked by ${by}, whose runner is gone; break it with --break-lock if nobody is working on it`;
}

export async function releaseLock(transport: Transport, runId: string): Promise<void> {
  const dir = shellQuote(LOCK_DIR);
  // Only our own lock: a lock broken and taken over by someone else stays theirs.
  await transport.exec(
    `grep -q ${shellQuote(`"runId":"${runId}"`)} ${dir}/info 2>/dev/null && rm -rf ${dir}`,
    { timeoutMs: 15_000 },
  );
}
