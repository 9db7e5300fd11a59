import type { Plan } from "../model/plan.ts";
import { becomeCheck } from "../transport/become.ts";
import type { Transport } from "../transport/transport.ts";
import type { Asker } from "./ask.ts";
import type { Masker } from "./masker.ts";
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
  /** f on each of these machines, at most --forks at once. */
  each<T>(hosts: string[], f: (host: string) => Promise<T>): Promise<T[]>;
}

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
  if (pairs.length === 0) return { refusals: [] };
  const codes = await input.each(
    pairs.map((_, i) => String(i)),
    (i) => probe(input, pairs[Number(i)] as Pair),
  );
  const refusals = pairs.flatMap((p, i) =>
    codes[i] === 0 || codes[i] === 10 ? [] : [refusal(p, codes[i] as number)],
  );
  const asking = pairs.filter((_, i) => codes[i] === 10);
  if (refusals.length > 0 || asking.length === 0) return { refusals };
  const hosts = [...new Set(asking.map((p) => p.host))];
  const needed = [...new Set(asking.map((p) => p.user))];
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const password = await input.asker.becomePassword({
      kind: "become-password",
      hosts,
      users: needed,
      attempt,
    });
    // Nobody to ask again (--yes gives its one password once): the one given was refused.
    if (password === undefined && attempt > 1) break;
    if (password === undefined) {
      return {
        refusals: asking.map((p) => ({
          host: p.host,
          reason: `sudo on ${p.host} asks for a password to run commands as ${p.user}, and none was given (type it when asked, or set RUNBOOK_BECOME_PASSWORD); nothing was run`,
        })),
      };
    }
    input.masker.add(password);
    const again = await input.each(
      asking.map((_, i) => String(i)),
      (i) => probe(input, asking[Number(i)] as Pair, password),
    );
    if (again.every((c) => c === 0)) return { refusals: [], password };
    if (again.some((c) => c !== 0 && c !== 11)) {
      return { refusals: asking.flatMap((p, i) => (again[i] === 0 ? [] : [refusal(p, again[i] as number)])) };
    }
  }
  return {
    refusals: asking.map((p) => ({
      host: p.host,
      reason: `sudo on ${p.host} refused the password to run commands as ${p.user}; nothing was run`,
    })),
  };
}

interface Pair {
  host: string;
  user: string;
}

async function probe(input: BecomeCheckInput, p: Pair, password?: string): Promise<number> {
  const t = await input.connect(p.host);
  const r = await t.exec(becomeCheck(p.user, password), { timeoutMs: 30_000 });
  return r.code ?? -1;
}

function refusal(p: Pair, code: number): Refusal {
  const why =
    code === 12
      ? "sudo is not installed there"
      : code === 11
        ? "sudo refused the password"
        : `sudo does not let the login user run commands as ${p.user} (exit ${code})`;
  return {
    host: p.host,
    reason: `cannot run commands as ${p.user} on ${p.host}: ${why}; nothing was run`,
  };
}
