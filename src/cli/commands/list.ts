import { join, relative, resolve } from "node:path";
import { loadRunbook } from "../../format/load-runbook.ts";
import { runbooksUnder } from "../../format/runbook-files.ts";
import { RunbookError, RunbookErrors } from "../../model/errors.ts";
import { makeStyle } from "../../report/style.ts";
import { runbookHome } from "../../util/runbook-home.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import type { Io } from "../io.ts";

/** Runbooks are the Markdown files with a title; fragments (no title) and READMEs are left out. */
export async function listCommand(io: Io, dir?: string): Promise<ExitCode> {
  const root = dir ? resolve(io.cwd, dir) : join(runbookHome(io.env), "runbooks");
  const style = makeStyle(io.color);
  let shown = 0;
  for (const file of runbooksUnder(root)) {
    try {
      const rb = loadRunbook(file);
      shown++;
      io.out(
        `${style.bold(relative(io.cwd, file) || file)}\n    ${rb.title}${rb.summary ? `\n    ${style.dim(rb.summary)}` : ""}\n`,
      );
    } catch (e) {
      if (!(e instanceof RunbookError || e instanceof RunbookErrors)) throw e;
      io.out(
        `${style.danger(relative(io.cwd, file))}\n    ${style.danger("has errors: run runbook check on it")}\n`,
      );
      shown++;
    }
  }
  if (shown === 0) io.out(`no runbooks under ${root}\n`);
  return EXIT.ok;
}
