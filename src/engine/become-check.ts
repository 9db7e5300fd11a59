import type { Plan } from "../model/plan.ts";
import { becomeCheck } from "../transport/become.ts";
import type { Transport } from "../transport/transport.ts";
import type { Asker } from "./ask.ts";
import { type Masker, MIN_SECRET_LENGTH } from "./masker.ts";
import type { Refusal } from "./state.ts";

/** Tries before giving up when sudo refuses the password typed (as sudo itself does). */
const ATTEMPTS = 3;

/** Every user each machine's commands run as through sudo: the machine's own and every action's as=. */
export function becomeUsers(plan: Plan): Map<string, Set<string>> {
  const users = new Map<string, Set<string>>();
  const add = (host: string, user: string | undefined) => {
    if (user === undefined) return;
    const set = users.get(host) ?? new Set<string>();
    set.add(user);
    users.set(host, set);
  };
  for (const h of plan.hosts) add(h.name, h.become);
  for (const step of plan.phases.flatMap((p) => p.steps)) {
    for (const t of step.targets) {
      for (const a of t.actions) add(t.host, a.as);
      for (const r of t.rollback) add(t.host, r.as);
    }
  }
  return users;
}

export interface BecomeCheckInput {
  plan: Plan;
  asker: Asker;
  masker: Masker;
  connect(host: string): Promise<Transport>;
  /** f on each item, at most --forks at once. */
  each<T, R>(items: T[], f: (item: T) => Promise<R>): Promise<R[]>;
}

interface Pair {
  host: string;
  user: string;
}

/** How becomeCheck ended on one machine: its exit code, or why it could not run there. */
type Probe = { code: number } | { error: string };

/** becomeCheck's exit codes. */
const OK = 0;
const NEEDS_PASSWORD = 10;
const WRONG_PASSWORD = 11;
const NO_SUDO = 12;

/**
 * Before step 1: on every machine that runs commands as another user, sudo lets the login user do so,
 * without a password or with the one the operator gives once for the whole run (asked only when some
 * machine needs it, checked on each such machine, never journaled). Refusals name the machine and say
 * that nothing was run; the password, when one was needed, is returned.
 */
export async function checkBecome(
  input: BecomeCheckInput,
): Promise<{ refusals: Refusal[]; password?: string }> {
  const users = becomeUsers(input.plan);
  const pairs = [...users].flatMap(([host, set]) => [...set].map((user) => ({ host, user })));
  const first = await input.each(pairs, (p) => probe(input, p));
  const refusals = pairs.flatMap((p, i) => refusalOf(p, first[i] as Probe, [OK, NEEDS_PASSWORD]));
  const asking = pairs.filter((_, i) => codeOf(first[i] as Probe) === NEEDS_PASSWORD);
  if (refusals.length > 0 || asking.length === 0) return { refusals };
  return withPassword(input, asking);
}

/** Asks for the sudo password (up to ATTEMPTS times) until it works on every machine that needs one. */
async function withPassword(
  input: BecomeCheckInput,
  asking: Pair[],
): Promise<{ refusals: Refusal[]; password?: string }> {
  const hosts = [...new Set(asking.map((p) => p.host))];
  const users = [...new Set(asking.map((p) => p.user))];
  let refused: Pair[] = [];
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const password = await input.asker.becomePassword({ kind: "become-password", hosts, users, attempt });
    // Nobody to ask again (--yes gives its one password once): the one given was refused.
    if (password === undefined && attempt > 1) break;
    if (password === undefined) return { refusals: asking.map(noPassword) };
    // A password too short to mask could show in a command's output: refused like a short secret.
    if (!input.masker.add(password)) return { refusals: asking.map(tooShort) };
    const results = await input.each(asking, (p) => probe(input, p, password));
    const other = asking.flatMap((p, i) => refusalOf(p, results[i] as Probe, [OK, WRONG_PASSWORD]));
    if (other.length > 0) return { refusals: other };
    refused = asking.filter((_, i) => codeOf(results[i] as Probe) === WRONG_PASSWORD);
    if (refused.length === 0) return { refusals: [], password };
  }
  return {
    refusals: (refused.length > 0 ? refused : asking).map((p) => ({
      host: p.host,
      reason: `sudo on ${p.host} refused the password to run commands as ${p.user}; nothing was run`,
    })),
  };
}

async function probe(input: BecomeCheckInput, p: Pair, password?: string): Promise<Probe> {
  try {
    const t = await input.connect(p.host);
    const r = await t.exec(becomeCheck(p.user, password), { timeoutMs: 30_000 });
    return r.code === null
      ? { error: r.timedOut ? "the check timed out" : "the check was stopped" }
      : { code: r.code };
  } catch (e) {
    return { error: input.masker.mask((e as Error).message) };
  }
}

function codeOf(r: Probe): number | undefined {
  return "code" in r ? r.code : undefined;
}

/** The refusal for an outcome other than `fine`, if it is one. */
function refusalOf(p: Pair, r: Probe, fine: number[]): Refusal[] {
  if ("code" in r && fine.includes(r.code)) return [];
  const why =
    "error" in r
      ? r.error
      : r.code === NO_SUDO
        ? "sudo is not installed there"
        : r.code === WRONG_PASSWORD
          ? "sudo refused the password"
          : `sudo does not let the login user run commands as ${p.user} (exit ${r.code})`;
  return [{ host: p.host, reason: `cannot run commands as ${p.user} on ${p.host}: ${why}; nothing was run` }];
}

function noPassword(p: Pair): Refusal {
  return {
    host: p.host,
    reason: `sudo on ${p.host} asks for a password to run commands as ${p.user}, and none was given (type it when asked, or set RUNBOOK_BECOME_PASSWORD); nothing was run`,
  };
}

function tooShort(p: Pair): Refusal {
  return {
    host: p.host,
    reason: `the sudo password to run commands as ${p.user} on ${p.host} is shorter than ${MIN_SECRET_LENGTH} characters, too short to keep out of the output; nothing was run`,
  };
}
