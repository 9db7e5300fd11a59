import type { Plan, PlanHost } from "../model/plan.ts";
import { asUser } from "../transport/become.ts";
import { rememberPassphrases } from "../transport/passphrases.ts";
import type { JumpPool } from "../transport/ssh/jump-pool.ts";
import { type Become, type Transport, TransportError } from "../transport/transport.ts";
import { mapLimit } from "../util/map-limit.ts";
import { sleep } from "../util/sleep.ts";
import type { Asker } from "./ask.ts";
import { checkBecome } from "./become-check.ts";
import { acquireLock, type LockInfo, releaseLock } from "./lock.ts";
import { machineIdentity } from "./machine-identity.ts";
import type { Masker } from "./masker.ts";
import { forksOf, type RunOptions, type TransportQuestions } from "./run-context.ts";
import type { Refusal } from "./state.ts";

/**
 * A run's machines: one transport each, made on first use and closed at the end; what is checked about
 * them before step 1 (logins, host keys); and their locks.
 */
export class Session {
  private readonly connections = new Map<string, Promise<Transport>>();
  private readonly hosts: Map<string, PlanHost>;
  private readonly questions: TransportQuestions;
  private readonly locked: string[] = [];
  /**
   * Bastion logins, one per route, shared by every machine behind it; asked about like the machines.
   * Made when a machine behind a bastion is first reached (a run without any never loads ssh2).
   */
  private jumps?: Promise<JumpPool>;
  /** The sudo password for become:/as=, when a machine asked for one (never in an event). */
  private becomePassword?: string;

  constructor(
    private readonly plan: Plan,
    private readonly opts: RunOptions,
    private readonly asker: Asker,
    private readonly masker: Masker,
  ) {
    this.hosts = new Map(plan.hosts.map((h) => [h.name, h]));
    this.questions = {
      hostKey: (q) => asker.hostKey({ kind: "host-key", ...q }),
      // One question per key file for the whole run, whichever machine asks first; none at all when
      // nobody can answer (a headless run without RUNBOOK_SSH_PASSPHRASE), so the refusal says so.
      ...(opts.decisions.passphrase
        ? { passphrase: rememberPassphrases((q) => asker.passphrase({ kind: "passphrase", ...q })) }
        : {}),
    };
  }

  private jumpPool(): Promise<JumpPool> {
    if (!this.jumps) {
      this.jumps = import("../transport/ssh/jump-pool.ts").then(
        ({ JumpPool }) =>
          new JumpPool({ decideHostKey: this.questions.hostKey, passphrase: this.questions.passphrase }),
      );
    }
    return this.jumps;
  }

  connect(name: string): Promise<Transport> {
    let c = this.connections.get(name);
    if (!c) {
      const host = this.hosts.get(name);
      if (!host) return Promise.reject(new Error(`machine ${name} is not in the plan`));
      const jumps = host.via ? this.jumpPool() : Promise.resolve(undefined);
      c = jumps.then((j) => this.opts.connect(host, this.questions, j));
      this.connections.set(name, c);
    }
    return c;
  }

  async closeAll(): Promise<void> {
    await Promise.all(
      [...this.connections.values()].map(async (c) => (await c.catch(() => undefined))?.close()),
    );
    // After the machines: their connections run through the bastions'.
    if (this.jumps) await (await this.jumps).close();
  }

  /**
   * Before step 1, every machine whatever the risk: first what can be checked without logging in
   * anywhere (key files, passphrases), then every login (host keys). A run never acts on some machines
   * and then stops at one it could not reach.
   */
  async preflight(): Promise<Refusal[]> {
    const prepared = await this.eachHost(async (t) => t.prepare?.());
    if (prepared.length > 0) return prepared;
    const opened = await this.eachHost(async (t) => t.open());
    if (opened.length > 0) return opened;
    const become = await checkBecome({
      plan: this.plan,
      asker: this.asker,
      masker: this.masker,
      connect: (h) => this.connect(h),
      each: (items, f) => mapLimit(items, forksOf(this.opts), f),
    });
    this.becomePassword = become.password;
    return become.refusals;
  }

  /** How to run a command as `user` here (the password, if sudo asked for one before step 1). */
  become(user: string | undefined): Become | undefined {
    if (user === undefined) return undefined;
    return this.becomePassword === undefined ? { user } : { user, password: this.becomePassword };
  }

  /**
   * Locks one machine at a time, in an order every runner shares, so of two runs racing for the same
   * machines one always gets them all (the other is refused at the first machine they share, holding
   * nothing of the rest). Undefined when every lock was taken.
   */
  async lockAll(info: LockInfo, breakStale: boolean): Promise<Refusal | undefined> {
    for (const h of [...this.plan.hosts].sort((a, b) => lockOrder(a).localeCompare(lockOrder(b)))) {
      try {
        const r = await acquireLock(await this.lockTransport(h), h.name, info, { breakStale });
        if (!r.ok) return { host: h.name, reason: r.reason };
        this.locked.push(h.name);
      } catch (e) {
        return { host: h.name, reason: `cannot lock ${h.name}: ${this.masker.mask((e as Error).message)}` };
      }
    }
    return undefined;
  }

  async releaseAll(runId: string): Promise<void> {
    await mapLimit(this.locked, forksOf(this.opts), async (name) => {
      try {
        await releaseLock(await this.lockTransport(this.hosts.get(name) as PlanHost), runId);
      } catch {
        // An unreachable machine keeps its lock; it shows as stale to the next run on it.
      }
    });
  }

  /**
   * Where a machine's lock is taken: in the home of the user its commands run as (become:), so every
   * operator who becomes that user finds the same lock, whoever they log in as.
   */
  private async lockTransport(h: PlanHost): Promise<Transport> {
    const t = await this.connect(h.name);
    const become = this.become(h.become);
    return become ? asUser(t, become) : t;
  }

  /** f on every machine, at most --forks at once, their starts paced (a fleet is not logged into at once). */
  private async eachHost(f: (t: Transport) => Promise<void>): Promise<Refusal[]> {
    const pace = pacer(LOGIN_SPACING_MS);
    const results = await mapLimit(
      this.plan.hosts,
      forksOf(this.opts),
      async (h): Promise<Refusal | undefined> => {
        try {
          await pace();
          await f(await this.connect(h.name));
          return undefined;
        } catch (e) {
          const message = this.masker.mask((e as Error).message);
          const invalid = e instanceof TransportError && e.code === "config";
          return {
            host: h.name,
            reason: invalid || /Nothing was run/.test(message) ? message : `${message}; nothing was run`,
            ...(invalid ? { invalid: true } : {}),
          };
        }
      },
    );
    return results.filter((r) => r !== undefined);
  }
}

/**
 * Between two logins of a preflight: 200 machines behind one bastion, or one runner's CPU doing their
 * key exchanges, get them one after the other rather than in one burst.
 */
const LOGIN_SPACING_MS = 15;

/** Resolves each call at least `ms` after the one before. */
function pacer(ms: number): () => Promise<void> {
  let next = 0;
  return async () => {
    const now = performance.now();
    const at = Math.max(now, next);
    next = at + ms;
    if (at > now) await sleep(at - now);
  };
}

/** Locks are taken in one order shared by every runner: by route and login, then address and port. */
function lockOrder(h: PlanHost): string {
  return `${machineIdentity(h)}:${h.become ?? ""}:${h.name}`;
}
