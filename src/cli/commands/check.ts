import { join, resolve } from "node:path";
import { loadRunbook } from "../../format/load-runbook.ts";
import { loadInventory } from "../../inventory/load-inventory.ts";
import { displayPath, RunbookError, RunbookErrors } from "../../model/errors.ts";
import { buildPlan } from "../../plan/build-plan.ts";
import { makeStyle } from "../../report/style.ts";
import { plural } from "../../util/plural.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import type { Io } from "../io.ts";
import { runbookHome } from "../paths.ts";
import { isDirectory, runbooksUnder } from "../runbook-files.ts";
import { parseVarArgs } from "./vars.ts";

/** Checks the given runbooks; a directory stands for the runbooks under it, none for the shipped ones. */
export async function checkCommand(
  io: Io,
  args: string[],
  opts: { inventory?: string; var: string[] },
): Promise<ExitCode> {
  const roots =
    args.length > 0 ? args.map((a) => resolve(io.cwd, a)) : [join(runbookHome(io.env), "runbooks")];
  const files = roots.flatMap((p) => (isDirectory(p) ? runbooksUnder(p) : [p]));
  if (files.length === 0) {
    throw new RunbookError(
      "usage",
      `no runbooks under ${roots.join(", ")}`,
      undefined,
      "pass runbook files or a directory that has some",
    );
  }
  const style = makeStyle(io.color);
  const vars = parseVarArgs(opts.var);
  const inventory = opts.inventory ? loadInventory(resolve(io.cwd, opts.inventory)) : undefined;
  let failed = 0;
  for (const path of files) {
    try {
      const rb = loadRunbook(path);
      const steps = rb.phases.reduce((n, p) => n + p.steps.length, 0);
      if (inventory) buildPlan(rb, inventory, { vars });
      const against = inventory ? `, planned against ${displayPath(inventory.file, io.cwd)}` : "";
      io.out(
        `${style.ok("ok")}    ${displayPath(path, io.cwd)} (${plural(rb.phases.length, "phase")}, ${plural(steps, "step")}${against})\n`,
      );
    } catch (e) {
      const errors = e instanceof RunbookErrors ? e.errors : e instanceof RunbookError ? [e] : undefined;
      if (!errors) throw e;
      failed++;
      io.out(`${style.danger("FAIL")}  ${displayPath(path, io.cwd)}\n`);
      for (const err of errors) io.err(`${err.format(io.cwd)}\n`);
    }
  }
  if (files.length > 1 || failed > 0) {
    io.out(`${files.length - failed} ok, ${failed} with problems\n`);
  }
  return failed > 0 ? EXIT.invalidInput : EXIT.ok;
}
