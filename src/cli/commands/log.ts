import { listRuns, readRun, stateDir } from "../../engine/journal.ts";
import { RunbookError } from "../../model/errors.ts";
import { lineReporter } from "../../report/line-reporter.ts";
import { makeStyle } from "../../report/style.ts";
import { renderTimeline } from "../../report/timeline.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import type { Io } from "../io.ts";

/** `runbook log`: the runs kept in the state directory; `runbook log RUN [--timeline]`: one of them. */
export async function logCommand(
  io: Io,
  runId: string | undefined,
  opts: { timeline?: boolean },
): Promise<ExitCode> {
  const root = stateDir(io.env);
  const runs = listRuns(root);
  if (!runId) {
    if (runs.length === 0) {
      io.out(`no runs in ${root}\n`);
      return EXIT.ok;
    }
    for (const id of runs) {
      try {
        const r = readRun(root, id);
        io.out(
          `${id}  ${r.state.status === "running" ? "unfinished" : r.state.status}  ${r.plan.runbook.title}\n`,
        );
      } catch {
        io.out(`${id}  (unreadable)\n`);
      }
    }
    return EXIT.ok;
  }
  if (!runs.includes(runId)) {
    throw new RunbookError(
      "usage",
      `no run ${runId} in ${root}`,
      undefined,
      "list the runs with: runbook log",
    );
  }
  const run = readRun(root, runId);
  if (opts.timeline) {
    io.out(renderTimeline(runId, run.plan, run.events));
    return EXIT.ok;
  }
  const report = lineReporter(io.out, makeStyle(io.color));
  for (const e of run.events) report(e);
  return EXIT.ok;
}
