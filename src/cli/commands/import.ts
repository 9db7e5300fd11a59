import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { formatFindings, importDocument } from "../../api.ts";
import { displayPath, RunbookError } from "../../model/errors.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import type { Io } from "../io.ts";

/**
 * Writes the runbook made of a document (to `-o`, else stdout) and tells, on stderr, what was inferred
 * and what was not, each at the document's line. Nothing is run.
 */
export function importCommand(io: Io, file: string, opts: { out?: string; role: string[] }): ExitCode {
  const result = importDocument(file, { output: opts.out, roles: opts.role, cwd: io.cwd });
  if (opts.out) {
    const target = resolve(io.cwd, opts.out);
    try {
      writeFileSync(target, result.runbook);
    } catch (e) {
      throw new RunbookError("io", `cannot write ${opts.out}: ${(e as Error).message}`);
    }
  } else io.out(result.runbook);
  io.err(formatFindings(result.findings, displayPath(resolve(io.cwd, file), io.cwd)));
  const manual = result.findings.filter((f) => f.kind === "manual").length;
  const inferred = result.findings.length - manual;
  const where = opts.out ? `wrote ${opts.out}` : "runbook on stdout";
  io.err(
    `${where}: ${inferred} inferred, ${manual} not inferred; review it, then: runbook check, runbook plan\n`,
  );
  return EXIT.ok;
}
