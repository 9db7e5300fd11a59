import type { EngineEvent } from "../../engine/events.ts";
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
        const status = r.state.status === "running" ? "unfinished" : r.state.status;
        io.out(`${id}  ${status.padEnd(10)}  ${r.plan.runbook.title}  ${whoAndHowLong(r.events)}\n`);
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

/** "by alice@laptop, 2m 14s" (the first start to the last end; resumes included, who resumed too). */
function whoAndHowLong(events: readonly EngineEvent[]): string {
  const starts = events.filter((e) => e.type === "run-started");
  const who = [...new Set(starts.map((e) => e.by ?? firstDecider(events)).filter(Boolean))];
  const first = starts[0]?.at;
  const last = [...events].reverse().find((e) => e.type === "run-finished")?.at;
  const took = first && last ? ` · ${duration(Date.parse(last) - Date.parse(first))}` : " · unfinished";
  return `by ${who.length > 0 ? who.join(", ") : "unknown"}${took}`;
}

function firstDecider(events: readonly EngineEvent[]): string | undefined {
  const d = events.find((e) => e.type === "decision");
  return d?.type === "decision" ? d.by.replace(/^--yes by /, "") : undefined;
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}
