import { hostname } from "node:os";
import { resolve } from "node:path";
import { inventoryOf, openResume, type RunOutcome, run, savedPlan } from "../../api.ts";
import { autoDecisions } from "../../engine/decisions.ts";
import type { EngineEvent } from "../../engine/events.ts";
import { newRunId, stateDir } from "../../engine/journal.ts";
import type { RunState } from "../../engine/state.ts";
import { loadRunbook } from "../../format/load-runbook.ts";
import { displayPath, RunbookError } from "../../model/errors.ts";
import type { Inventory } from "../../model/inventory.ts";
import type { Plan } from "../../model/plan.ts";
import type { Runbook, VarDecl } from "../../model/runbook.ts";
import { buildPlan, type PlanOptions } from "../../plan/build-plan.ts";
import { askableVariable } from "../../plan/missing-variable.ts";
import { jsonReporter, lineReporter } from "../../report/line-reporter.ts";
import { renderPlanText } from "../../report/plan-text.ts";
import { makeStyle } from "../../report/style.ts";
import { promptVariableOf } from "../../ui/variable-prompt-state.ts";
import { currentUser } from "../../util/current-user.ts";
import { EXIT, type ExitCode, exitCodeOf } from "../exit-codes.ts";
import type { FrontEnd } from "../interactive.tsx";
import type { Io } from "../io.ts";
import { parseForks, parseLimit, parseVarArgs } from "./vars.ts";

/** The terminal UI (ink, React): loaded only when a terminal will show it. */
const ui = () => import("../interactive.tsx");

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
  forks?: string;
  /** The old name of --forks. */
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
    if (io.terminal && !opts.json)
      await (await ui()).browsePlan(io, plan, displayPath(inventory.file, io.cwd));
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
  const stored = await openResume(runId, { env: io.env });
  if ("ended" in stored) {
    io.out(`run ${stored.ended} already finished ok; nothing to resume\n`);
    return EXIT.ok;
  }
  return execute(io, stored.plan, stored.inventory, stored.runbook.vars, opts, stored.runId, stored);
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
  // Input mistakes are said before the screen opens and anything runs.
  const forks =
    opts.forks !== undefined ? parseForks(opts.forks, "--forks") : parseForks(opts.parallel, "--parallel");
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
  const secrets = await secretsOf(io, plan, decls, interactive);
  if (!secrets) return EXIT.aborted;
  const controller = new AbortController();
  const interrupted = io.interrupts?.();
  interrupted?.addEventListener("abort", () => controller.abort(), { once: true });
  const front: FrontEnd = interactive
    ? await (await ui()).startInteractive(io, plan, {
        who: me,
        inventory: displayPath(inventory.file, io.cwd),
        earlierEvents: resumed?.events,
        secrets,
        autoRead: opts.autoRead ?? false,
        stop: () => controller.abort(),
        interrupted,
      })
    : headless(io, opts, me, secrets);
  let result: RunOutcome;
  try {
    result = await run(plan, {
      inventory,
      runId,
      decisions: front.decisions,
      onEvent: front.emit,
      signal: controller.signal,
      stateDir: stateDir(io.env),
      lock: { breakStale: opts.breakLock ?? false },
      forks,
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
  tellHowItEnded(io, plan, result, opts);
  return exitCodeOf(result);
}

/** After a run that did not end ok: where its journal is and how to resume it; input mistakes as errors. */
function tellHowItEnded(io: Io, plan: Plan, result: RunOutcome, opts: RunOpts): void {
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
      `journal: ${result.journalDir}/journal.jsonl\nresume with: runbook resume ${result.runId}${opts.yes ? " --yes" : ""}${word}${decide}\n`,
    );
  }
  // An input mistake found before any login (a key file) is said as an error, as a bad runbook is.
  if (result.invalid)
    for (const r of result.state.refusals) if (r.invalid) io.err(`${displayPath(r.reason, io.cwd)}\n`);
}

/**
 * The plan's secrets: from RUNBOOK_SECRET_<NAME>, else asked before the screen opens, with each one's
 * description (never journaled or saved); undefined when the operator backed out.
 */
async function secretsOf(
  io: Io,
  plan: Plan,
  decls: VarDecl[],
  interactive: boolean,
): Promise<Record<string, string> | undefined> {
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
  for (const name of missing) {
    askingHeader(io);
    const decl = decls.find((d) => d.name === name);
    const value = await (await ui()).promptVariable(
      io,
      decl ? promptVariableOf(decl) : { name, secret: true },
    );
    if (value === undefined) return undefined;
    secrets[name] = value;
  }
  return secrets;
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
      // An encrypted key's passphrase; never logged. Without it such keys are refused before any login.
      passphrase: io.env.RUNBOOK_SSH_PASSPHRASE,
      // The sudo password for become:/as=; never logged. Without it sudo must not need one.
      becomePassword: io.env.RUNBOOK_BECOME_PASSWORD,
    }),
    emit: opts.json ? jsonReporter(io.out) : lineReporter(io.out, makeStyle(io.color)),
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
    const saved = savedPlan(file, { cwd: io.cwd });
    return { plan: saved.plan, inventory: saved.inventory, decls: saved.runbook.vars };
  }
  const inventory = inventoryOf({ inventory: opts.inventory, env: io.env, cwd: io.cwd });
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
      const value = await (await ui()).promptVariable(io, promptVariableOf(decl));
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
