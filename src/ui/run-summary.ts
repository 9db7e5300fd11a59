import { type RunState, stoppedByOperator } from "../engine/state.ts";
import type { Plan } from "../model/plan.ts";
import { stepIds, stepNumber } from "../model/step-number.ts";
import { plainText } from "../util/clean-line.ts";
import { statusGlyph } from "./theme.ts";
import { displayStatus, stepEntries } from "./view-model.ts";

/**
 * What the screen showed, as plain lines left in the terminal after the UI closes (it draws on the
 * alternate screen, which goes away with it): one line per step with its outcome.
 */
export function runSummary(plan: Plan, run: RunState): string {
  const entries = stepEntries(plan);
  const head = `runbook: ${plan.runbook.title} · ${outcome(run.status)}${run.status === "empty" && run.ended?.reason ? ` (${run.ended.reason})` : ""}`;
  const ids = stepIds(plan);
  const lines = entries.map((e) => {
    const status = displayStatus(run, e.step.id);
    const state = run.steps[e.step.id];
    const failedHosts = Object.entries(state?.hosts ?? {}).filter(([, h]) => h.status === "failed");
    const failed = failedHosts.map(
      ([name, h]) => `${name}${h.exitCode !== null ? ` exit ${h.exitCode}` : ""}`,
    );
    // Commands the operator stopped (q) did not fail on their own.
    const stopped = failedHosts.length > 0 && failedHosts.every(([, h]) => stoppedByOperator(h));
    const why =
      status === "skipped" && state?.skipReason
        ? ` (skipped: ${state.skipReason})`
        : stopped
          ? ` (stopped while running on ${failedHosts.map(([name]) => name).join(", ")})`
          : failed.length > 0
            ? ` (failed on ${failed.join(", ")})`
            : status === "pending" || status === "ok"
              ? ""
              : ` (${status})`;
    // A failure's reason and last lines, whole: the screen had to cut them at its width.
    const told = failedHosts
      .filter(([, h]) => !stoppedByOperator(h))
      .flatMap(([name, h]) => [
        // "exit code 3" says again what the line above says.
        ...(h.error && !/^exit code \d+$/.test(h.error) ? [`      ${name}: ${plainText(h.error)}`] : []),
        ...(h.tail && (!h.error || /^exit code \d+$/.test(h.error)) ? [`      ${name}:`] : []),
        ...(h.tail ?? []).map((l) => `        ${plainText(l)}`),
      ]);
    return [`  ${statusGlyph(status)} ${stepNumber(ids, e.step.id)} ${e.step.title}${why}`, ...told].join(
      "\n",
    );
  });
  return `${[head, ...lines, ...(run.runId ? [`  run ${run.runId}`] : [])].join("\n")}\n`;
}

function outcome(status: RunState["status"]): string {
  switch (status) {
    case "ok":
      return "finished ok";
    case "failed":
      return "failed";
    case "aborted":
      return "stopped";
    case "empty":
      return "nothing ran";
    case "running":
    case "idle":
      return "not finished";
  }
}
