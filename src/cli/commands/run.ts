import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { run } from "../../api.ts";
import { autoDecisions } from "../../engine/decisions.ts";
import { listRuns, newRunId, readRun, stateDir } from "../../engine/journal.ts";
import type { RunState } from "../../engine/state.ts";
import { loadRunbook } from "../../format/load-runbook.ts";
import { loadInventory } from "../../inventory/load-inventory.ts";
import { displayPath, RunbookError } from "../../model/errors.ts";
import type { Inventory } from "../../model/inventory.ts";
import type { Plan } from "../../model/plan.ts";
import { buildPlan } from "../../plan/build-plan.ts";
import { jsonReporter, lineReporter } from "../../report/line-reporter.ts";
import { renderPlanText } from "../../report/plan-text.ts";
import { makeStyle } from "../../report/style.ts";
import type { PassphraseSource } from "../../transport/ssh-transport.ts";
import { currentUser } from "../../util/current-user.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { browsePlan, type FrontEnd, startInteractive } from "../interactive.tsx";
import type { Io } from "../io.ts";
import { defaultInventory } from "../paths.ts";
import { parseLimit, parseVarArgs } from "./vars.ts";

export interface RunOpts {
  inventory?: string;
  var: string[];
  limit?: string;
  yes?: boolean;
  confirm?: string;
  from?: string;
  only?: string;
  json?: boolean;
  unknown?: "rerun" | "done" | "abort";
  breakLock?: boolean;
  rollbackOnFailure?: boolean;
  parallel?: string;
  dryRun?: boolean;
}

/** `runbook run FILE|plan.json`: plans (or re-checks a saved plan) and runs it headless. */
export async function runCommand(io: Io, file: string, opts: RunOpts): Promise<ExitCode> {
  const { plan, inventory } = loadOrPlan(io, file, opts);
  if (opts.dryRun) {
    // Nothing runs: the UI on a terminal, the plain review anywhere else.
    if (io.terminal && !opts.json) await browsePlan(io, plan, displayPath(inventory.file, io.cwd));
    else
      io.out(
        opts.json ? `${JSON.stringify(plan, null, 2)}\n` : renderPlanText(plan, makeStyle(io.color), io.cwd),
      );
    return EXIT.ok;
  }
  return execute(io, plan, inventory, opts, newRunId(plan.runbook.title));
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
  const stored = readRun(root, id);
  // The machines may have changed since: refuse unless the same plan still comes out.
  const { plan: fresh, inventory } = replan(stored.plan);
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
  return execute(io, stored.plan, inventory, opts, id, stored.state);
}

async function execute(
  io: Io,
  plan: Plan,
  inventory: Inventory,
  opts: RunOpts,
  runId: string,
  resumeFrom?: RunState,
): Promise<ExitCode> {
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
  const controller = new AbortController();
  io.signal?.addEventListener("abort", () => controller.abort(), { once: true });
  const front: FrontEnd = interactive
    ? await startInteractive(
        io,
        plan,
        me,
        resumeFrom !== undefined,
        displayPath(inventory.file, io.cwd),
        secrets,
        () => controller.abort(),
      )
    : headless(io, opts, me, secrets);
  const result = await run(plan, {
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
  await front.finished();
  const started = Object.values(result.state.steps).some((st) => st.status !== "pending");
  if (!opts.json && result.status !== "ok" && started) {
    io.err(
      `journal: ${result.journalDir}/journal.jsonl\nresume with: runbook resume ${runId}${opts.yes ? " --yes" : ""}\n`,
    );
  }
  switch (result.status) {
    case "ok":
      return EXIT.ok;
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
  };
}

function loadOrPlan(io: Io, file: string, opts: RunOpts): { plan: Plan; inventory: Inventory } {
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
    return { plan: saved, inventory: fresh.inventory };
  }
  const inventory = loadInventory(
    opts.inventory ? resolve(io.cwd, opts.inventory) : defaultInventory(io.env, io.cwd),
  );
  const plan = buildPlan(loadRunbook(path), inventory, {
    vars: parseVarArgs(opts.var),
    limit: parseLimit(opts.limit),
  });
  return { plan, inventory };
}

function replan(saved: Plan): { plan: Plan; inventory: Inventory } {
  const inventory = loadInventory(saved.inventory.file);
  const plan = buildPlan(loadRunbook(saved.runbook.file), inventory, {
    vars: saved.overrides,
    limit: saved.limit,
  });
  return { plan, inventory };
}

/** Headless runs read an encrypted key's passphrase from RUNBOOK_SSH_PASSPHRASE; it is never logged. */
function passphraseFromEnv(io: Io): PassphraseSource {
  return async ({ attempt }) => (attempt === 1 ? io.env.RUNBOOK_SSH_PASSPHRASE : undefined);
}
