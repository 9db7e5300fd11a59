import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { loadRunbook, plan as planOf } from "../../api.ts";
import { displayPath, formatWarning, RunbookError } from "../../model/errors.ts";
import { renderPlanText } from "../../report/plan-text.ts";
import { makeStyle } from "../../report/style.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import type { Io } from "../io.ts";
import { parseLimit, parseVarArgs } from "./vars.ts";

export interface PlanOpts {
  inventory?: string;
  var: string[];
  limit?: string;
  json?: boolean;
  out?: string;
  color: boolean;
}

export async function planCommand(io: Io, file: string, opts: PlanOpts): Promise<ExitCode> {
  const runbook = loadRunbook(resolve(io.cwd, file));
  for (const w of runbook.warnings ?? []) io.err(`${formatWarning(w, io.cwd)}\n`);
  const plan = planOf(runbook, {
    inventory: opts.inventory,
    vars: parseVarArgs(opts.var),
    limit: parseLimit(opts.limit),
    env: io.env,
    cwd: io.cwd,
  });
  // Only made when it is written: a plan of thousands of steps is megabytes of JSON.
  const json = opts.out || opts.json ? `${JSON.stringify(plan, null, 2)}\n` : "";
  if (opts.out) {
    const out = resolve(io.cwd, opts.out);
    try {
      writeFileSync(out, json, { mode: 0o644 });
    } catch (e) {
      throw new RunbookError(
        "io",
        `cannot write the plan to ${opts.out}: ${(e as Error).message}`,
        undefined,
        "choose a writable path",
      );
    }
  }
  if (opts.json) {
    io.out(json);
  } else {
    io.out(renderPlanText(plan, makeStyle(io.color && opts.color), io.cwd));
    if (opts.out)
      io.out(
        `Plan saved to ${displayPath(resolve(io.cwd, opts.out), io.cwd)} (hash ${plan.hash.slice(0, 16)}).\n`,
      );
  }
  return EXIT.ok;
}
