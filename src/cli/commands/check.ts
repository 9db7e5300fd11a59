import { join, resolve } from "node:path";
import { check, inventoryOf } from "../../api.ts";
import { displayPath, formatWarning } from "../../model/errors.ts";
import { makeStyle } from "../../report/style.ts";
import { plural } from "../../util/plural.ts";
import { runbookHome } from "../../util/runbook-home.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import type { Io } from "../io.ts";
import { parseVarArgs } from "./vars.ts";

/** Checks the given runbooks; a directory stands for the runbooks under it, none for the shipped ones. */
export async function checkCommand(
  io: Io,
  args: string[],
  opts: { inventory?: string; var: string[] },
): Promise<ExitCode> {
  const roots =
    args.length > 0 ? args.map((a) => resolve(io.cwd, a)) : [join(runbookHome(io.env), "runbooks")];
  const style = makeStyle(io.color);
  const inventory = opts.inventory ? inventoryOf({ inventory: opts.inventory, cwd: io.cwd }) : undefined;
  const checked = check(roots, { inventory, vars: parseVarArgs(opts.var) });
  let failed = 0;
  for (const { file, runbook, errors, warnings } of checked) {
    for (const w of warnings) io.err(`${formatWarning(w, io.cwd)}\n`);
    if (runbook && errors.length === 0) {
      const steps = runbook.phases.reduce((n, p) => n + p.steps.length, 0);
      const against = inventory ? `, planned against ${displayPath(inventory.file, io.cwd)}` : "";
      io.out(
        `${style.ok("ok")}    ${displayPath(file, io.cwd)} (${plural(runbook.phases.length, "phase")}, ${plural(steps, "step")}${against})\n`,
      );
      continue;
    }
    failed++;
    io.out(`${style.danger("FAIL")}  ${displayPath(file, io.cwd)}\n`);
    for (const err of errors) io.err(`${err.format(io.cwd)}\n`);
  }
  if (checked.length > 1 || failed > 0) {
    io.out(`${checked.length - failed} ok, ${failed} with problems\n`);
  }
  return failed > 0 ? EXIT.invalidInput : EXIT.ok;
}
