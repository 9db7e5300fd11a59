import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { run } from "../../api.ts";
import { autoDecisions } from "../../engine/decisions.ts";
import type { EngineEvent } from "../../engine/events.ts";
import { listRuns, liveClaim, newRunId, readRun, runningError, stateDir } from "../../engine/journal.ts";
import { thisRunner } from "../../engine/runner-alive.ts";
import type { RunState } from "../../engine/state.ts";
import { loadRunbook } from "../../format/load-runbook.ts";
import { loadInventory } from "../../inventory/load-inventory.ts";
import { displayPath, RunbookError } from "../../model/errors.ts";
import type { Inventory } from "../../model/inventory.ts";
import type { Plan } from "../../model/plan.ts";
import type { Runbook, VarDecl } from "../../model/runbook.ts";
import { buildPlan, type PlanOptions } from "../../plan/build-plan.ts";
import { askableVariable } from "../../plan/missing-variable.ts";
import { jsonReporter, lineReporter } from "../../report/line-reporter.ts";
import { renderPlanText } from "../../report/plan-text.ts";
import { makeStyle } from "../../report/style.ts";
import type { PassphraseSource } from "../../transport/ssh/ssh-transport.ts";
import { promptVariableOf } from "../../ui/variable-prompt-state.ts";
import { currentUser } from "../../util/current-user.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { browsePlan, type FrontEnd, promptVariable, startInteractive } from "../interactive.tsx";
import type { Io } from "../io.ts";
import { defaultInventory } from "../paths.ts";
import { parseLimit, parseVarArgs } from "./vars.ts";

export interface RunOpts {
  inventory?: string;
  var: string[];
  limit?: string;
  yes?: boolean;
  confirm?: string[];
  from?: string;
  only?: string;
  json?: boolean;
  unknown?: "rerun" | "done" | "abort";
  breakLock?: boolean;
  rollbackOnFailure?: boolean;
  parallel?: string;
  dryRun?: boolean;
  autoRead?: boolean;
}

/**
 * `runbook run FILE|plan.json`: plans (or re-checks a saved plan) and runs it, in the terminal UI on a
 * terminal, headless with --yes.
 */
export async function runCommand(io: Io, file: string, opts: RunOpts): Promise<ExitCode> {
  // On a terminal, a variable that nothing gives a value is asked for rather than refused.
  const ask = io.terminal !== undefined && !opts.json && !opts.yes;
  const loaded = await loadOrPlan(io, file, opts, ask);
  if (!loaded) return EXIT.aborted;
  const { plan, inventory, decls } = loaded;
  if (opts.dryRun) {
    // Nothing runs: the UI on a terminal, the plain review anywhere else.
    if (io.terminal && !opts.json) await browsePlan(io, plan, displayPath(inventory.file, io.cwd));
    else
      io.out(
        opts.json ? `${JSON.stringify(plan, null, 2)}\n` : renderPlanText(plan, makeStyle(io.color), io.cwd),
      );
    return EXIT.ok;
  }
  return execute(io, plan, inventory, decls, opts, newRunId(plan.runbook.title));
}

/** `runbook resume [RUN]`: continues the newest (or the named) run, per machine, from its journal. */
export async function resumeCommand(io: Io, runId: string | undefined, opts: RunOpts): Promise<ExitCode> {
  const root = stateDir(io.env);
  const id = runId ?? listRuns(root).at(-1);
  if (!id || !existsSync(resolve(root, "runs", id, "journal.jsonl"))) {
    throw new RunbookError(
      "usage",
      runId ? `no run ${runId} in ${root}` : `no runs in ${root}`,
      undefined,
      "list runs with: runbook log",
    );
  }
  // Before anything else: a run whose runner is alive (another terminal) is never taken over.
  const holder = liveClaim(resolve(root, "runs", id), thisRunner());
  if (holder) throw runningError(resolve(root, "runs", id), holder);
  const stored = readRun(root, id);
  // The machines may have changed since: refuse unless the same plan still comes out.
  const { plan: fresh, inventory, runbook } = replan(stored.plan);
  if (fresh.hash !== stored.plan.hash) {
    io.err(
      `refused: the runbook or inventory changed since run ${id} started (plan ${stored.plan.hash.slice(0, 12)}, now ${fresh.hash.slice(0, 12)})\n`,
    );
    return EXIT.refused;
  }
  if (stored.state.status === "ok") {
    io.out(`run ${id} already finished ok; nothing to resume\n`);
    return EXIT.ok;
  }
  return execute(io, stored.plan, inventory, runbook.vars, opts, id, stored);
}

async function execute(
  io: Io,
  plan: Plan,
  inventory: Inventory,
  decls: VarDecl[],
  opts: RunOpts,
  runId: string,
  resumed?: { state: RunState; events: readonly EngineEvent[] },
): Promise<ExitCode> {
  const resumeFrom = resumed?.state;
  const interactive = !opts.yes && !opts.json && io.terminal !== undefined;
  if (!opts.yes && !interactive) {
    throw new RunbookError(
      "usage",
      opts.json
        ? "--json runs are headless: add --yes"
        : "this is not a terminal, so nobody can confirm the steps",
      undefined,
      "run it in a terminal to be walked through it, or add --yes for a headless run (destructive steps also need --confirm WORD)",
    );
  }
  const me = `${currentUser()}@${hostname()}`;
  const secrets: Record<string, string> = {};
  for (const name of plan.secrets) {
    const v = io.env[`RUNBOOK_SECRET_${name.toUpperCase()}`];
    if (v !== undefined) secrets[name] = v;
  }
  const missing = plan.secrets.filter((s) => !(s in secrets));
  if (missing.length > 0 && !interactive) {
    throw new RunbookError(
      "usage",
      `secret ${missing.join(", ")} has no value`,
      undefined,
      `set ${missing.map((m) => `RUNBOOK_SECRET_${m.toUpperCase()}`).join(", ")} in the environment for a headless run`,
    );
  }
  if (interactive) {
    // Asked before the screen opens, with each one's description; never journaled or saved.
    for (const name of missing) {
      askingHeader(io);
      const decl = decls.find((d) => d.name === name);
      const value = await promptVariable(io, decl ? promptVariableOf(decl) : { name, secret: true });
      if (value === undefined) return EXIT.aborted;
      secrets[name] = value;
    }
  }
  const controller = new AbortController();
  const interrupted = io.interrupts?.();
  interrupted?.addEventListener("abort", () => controller.abort(), { once: true });
  const front: FrontEnd = interactive
    ? await startInteractive(io, plan, {
        who: me,
        inventory: displayPath(inventory.file, io.cwd),
        resumeFrom,
        earlierEvents: resumed?.events,
        secrets,
        autoRead: opts.autoRead ?? false,
        stop: () => controller.abort(),
        interrupted,
      })
    : headless(io, opts, me, secrets);
  let result: Awaited<ReturnType<typeof run>>;
  try {
    result = await run(plan, {
      inventory,
      runId,
      decisions: front.decisions,
      onEvent: front.emit,
      connect: front.connectOptions,
      signal: controller.signal,
      stateDir: stateDir(io.env),
      lock: { breakStale: opts.breakLock ?? false },
      parallel: opts.parallel ? Number(opts.parallel) : undefined,
      from: opts.from,
      only: opts.only?.split(",").map((s) => s.trim()),
      resumeFrom,
      env: io.env,
    });
  } catch (e) {
    front.abandon();
    throw e;
  }
  await front.finished();
  const started = Object.values(result.state.steps).some((st) => st.status !== "pending");
  if (!opts.json && result.status !== "ok" && started) {
    const at = plan.phases.flatMap((p) => p.steps).find((s) => s.id === result.failedStep);
    const word =
      opts.yes && at?.confirm !== undefined
        ? ` --confirm WORD (step ${at.id} needs the word "${at.confirm}")`
        : "";
    const unknown = Object.values(result.state.steps).some((st) =>
      Object.values(st.hosts).some((h) => h.status === "unknown"),
    );
    const decide = unknown
      ? "\n  (machines in an unknown state: check them first, then add --unknown rerun or --unknown done;\n   a command still running there is never run again)"
      : "";
    io.err(
      `journal: ${result.journalDir}/journal.jsonl\nresume with: runbook resume ${runId}${opts.yes ? " --yes" : ""}${word}${decide}\n`,
    );
  }
  switch (result.status) {
    case "ok":
      return EXIT.ok;
    case "empty":
      return EXIT.nothingRan;
    case "failed":
      return result.refused ? EXIT.refused : EXIT.stepFailed;
    case "aborted":
    case "running":
      return result.refused ? EXIT.refused : EXIT.aborted;
  }
}

/** Plain lines (or JSON) and --yes decisions: for CI, scripts and pipes. */
function headless(io: Io, opts: RunOpts, me: string, secrets: Record<string, string>): FrontEnd {
  return {
    decisions: autoDecisions({
      who: `--yes by ${me}`,
      confirm: opts.confirm,
      secrets,
      unknown: opts.unknown,
      rollbackOnFailure: opts.rollbackOnFailure ?? false,
    }),
    emit: opts.json ? jsonReporter(io.out) : lineReporter(io.out, makeStyle(io.color)),
    connectOptions: { passphrase: passphraseFromEnv(io) },
    finished: async () => {},
    abandon: () => {},
  };
}

/** The plan to run, or undefined when the operator backed out of a question about a variable. */
async function loadOrPlan(
  io: Io,
  file: string,
  opts: RunOpts,
  ask: boolean,
): Promise<{ plan: Plan; inventory: Inventory; decls: VarDecl[] } | undefined> {
  const path = resolve(io.cwd, file);
  if (path.endsWith(".json")) {
    let saved: Plan;
    try {
      saved = JSON.parse(readFileSync(path, "utf8")) as Plan;
    } catch (e) {
      throw new RunbookError(
        "io",
        `cannot read the saved plan ${file}: ${(e as Error).message}`,
        undefined,
        "pass a file written by runbook plan --out",
      );
    }
    const fresh = replan(saved);
    if (fresh.plan.hash !== saved.hash) {
      throw new RunbookError(
        "plan",
        `the saved plan ${file} no longer matches its runbook and inventory`,
        undefined,
        "something changed since it was reviewed: run `runbook plan` again, review it, and save a new plan",
      );
    }
    return { plan: saved, inventory: fresh.inventory, decls: fresh.runbook.vars };
  }
  const inventory = loadInventory(
    opts.inventory ? resolve(io.cwd, opts.inventory) : defaultInventory(io.env, io.cwd),
  );
  const runbook = loadRunbook(path);
  const plan = await planAsking(
    io,
    runbook,
    inventory,
    {
      vars: parseVarArgs(opts.var),
      limit: parseLimit(opts.limit),
    },
    ask,
  );
  return plan && { plan, inventory, decls: runbook.vars };
}

/**
 * Plans; when a variable has no value anywhere and `ask` is set, asks the operator for it (as if it had
 * been given with --var, so a resume plans the same) and plans again, until the plan builds.
 */
async function planAsking(
  io: Io,
  runbook: Runbook,
  inventory: Inventory,
  opts: PlanOptions,
  ask: boolean,
): Promise<Plan | undefined> {
  const vars = { ...opts.vars };
  for (;;) {
    try {
      return buildPlan(runbook, inventory, { ...opts, vars });
    } catch (e) {
      const decl = ask ? askableVariable(e, runbook, inventory) : undefined;
      if (!decl || decl.name in vars) throw e;
      askingHeader(io);
      const value = await promptVariable(io, promptVariableOf(decl));
      if (value === undefined) return undefined;
      vars[decl.name] = value;
    }
  }
}

const headed = new WeakSet<Io>();

/** Once per command, before the first value is asked for (variables, then secrets). */
function askingHeader(io: Io): void {
  if (headed.has(io)) return;
  headed.add(io);
  io.out("This runbook needs values that neither the inventory nor --var gives:\n");
}

function replan(saved: Plan): { plan: Plan; inventory: Inventory; runbook: Runbook } {
  const inventory = loadInventory(saved.inventory.file);
  const runbook = loadRunbook(saved.runbook.file);
  const plan = buildPlan(runbook, inventory, {
    vars: saved.overrides,
    limit: saved.limit,
  });
  return { plan, inventory, runbook };
}

/**
 * Headless runs read an encrypted key's passphrase from RUNBOOK_SSH_PASSPHRASE; it is never logged.
 * Without it there is no way to get one, and an encrypted key is refused before the first login.
 */
function passphraseFromEnv(io: Io): PassphraseSource | undefined {
  const pass = io.env.RUNBOOK_SSH_PASSPHRASE;
  if (pass === undefined) return undefined;
  return async ({ attempt }) => (attempt === 1 ? pass : undefined);
}
