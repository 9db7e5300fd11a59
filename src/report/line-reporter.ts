import type { EngineEvent, RunCounts } from "../engine/events.ts";
import { stepNumber } from "../model/step-number.ts";
import { plainText } from "../util/clean-line.ts";
import { plural } from "../util/plural.ts";
import { describeDecision } from "./describe-decision.ts";
import type { Style } from "./style.ts";

/** What the lines say about steps: their number and title, learnt from run-started. */
interface Steps {
  ids: string[];
  titles: Map<string, string>;
}

/**
 * Plain lines for a log, a pipe or CI: one line per event that matters, machine output prefixed with the
 * machine's name. Never an escape code unless the style adds colour.
 */
export function lineReporter(write: (text: string) => void, style: Style): (e: EngineEvent) => void {
  const steps: Steps = { ids: [], titles: new Map() };
  // The step whose lines these are: a rollout's gate runs after each batch without a step-started.
  let current: string | undefined;
  return (e) => {
    if (e.type === "run-started") {
      steps.ids = e.steps.map((s) => s.id);
      steps.titles = new Map(e.steps.map((s) => [s.id, s.title]));
    }
    if (e.type === "step-started" || e.type === "batch-started") current = e.stepId;
    else if (e.type === "host-status" && e.status === "running" && e.stepId !== current) {
      current = e.stepId;
      write(
        `${style.bold(`--- gate [${stepNumber(steps.ids, e.stepId)}] ${steps.titles.get(e.stepId)}`)} ${style.dim(`#${e.stepId}`)}\n`,
      );
    }
    const text = linesOf(e, steps, style);
    if (text !== undefined) write(text);
  };
}

function linesOf(e: EngineEvent, steps: Steps, style: Style): string | undefined {
  switch (e.type) {
    case "run-started":
      return `${style.heading(`runbook: ${e.title}`)}  run ${e.runId}${e.resumed ? " (resumed)" : ""}  plan ${e.planHash.slice(0, 16)}\n`;
    case "step-started":
      return `${style.bold(`==> [${stepNumber(steps.ids, e.stepId)}] ${steps.titles.get(e.stepId)}`)} ${style.dim(`#${e.stepId}`)}${e.hosts.length ? ` on ${e.hosts.join(", ")}` : " (manual)"}\n`;
    case "batch-started":
      return `${style.bold(`--- batch ${e.batch}/${e.of}`)} on ${e.hosts.join(", ")}${e.pauseMs ? ` (after a ${e.pauseMs / 1000}s pause)` : ""}\n`;
    case "decision":
      return decisionLine(e, steps, style);
    case "host-status":
      if (e.status === "waiting" || e.status === "unknown")
        return `    ${e.host}: ${e.status}${e.detail ? ` for ${e.detail}` : ""}\n`;
      return undefined;
    case "output": {
      const mark = e.stream === "stderr" ? style.warn("!") : "|";
      // One write per chunk, not per line: a step printing a million lines stays one write per chunk.
      const prefix = `    ${e.host} ${mark} `;
      return `${prefix}${plainText(e.text).replace(/\n$/, "").replaceAll("\n", `\n${prefix}`)}\n`;
    }
    case "captured":
      return `    ${e.host}: captured ${e.name}\n`;
    case "host-finished":
      return hostFinishedLine(e, style);
    case "rollback-finished":
      return `    ${e.host}: rollback ${e.ok ? style.ok("ok") : style.danger(`FAILED: ${e.error}`)}\n`;
    case "step-finished":
      if (e.status === "ok") return undefined;
      return `    step ${e.stepId}: ${style.danger(e.status)}${e.goesOn ? " (a keep-going check: the run goes on and reports it at the end)" : ""}\n`;
    case "refused":
      return `${style.danger(`refused: ${e.reason}`)}\n`;
    case "run-finished":
      return runFinishedLines(e, steps, style);
    // Said by the decision that answers it, and by the step's own lines.
    case "question":
    case "command-sent":
    case "command-started":
      return undefined;
  }
}

function decisionLine(
  e: Extract<EngineEvent, { type: "decision" }>,
  steps: Steps,
  style: Style,
): string | undefined {
  const d = e.decision;
  const stepId = e.stepId ?? "";
  const title = steps.titles.get(stepId);
  const where = `[${stepNumber(steps.ids, stepId)}] ${title}`;
  switch (d.kind) {
    case "run":
    case "back":
    case "secret":
    case "passphrase":
    case "become-password":
      return undefined;
    case "host-key":
      return `${(d.accepted ? style.warn : style.danger)(`... ${describeDecision(d)} (${e.by})`)}\n`;
    case "roll-back-steps":
      return d.stepIds.length > 0 ? `${style.warn(`... ${describeDecision(d)} (${e.by})`)}\n` : undefined;
    case "skip":
      return `${style.dim(`--- ${where}: skipped (${d.reason || "by operator"}) by ${e.by}`)}\n`;
    case "abort":
      return `${style.danger(`!!! ${title ?? "run"}: aborted by ${e.by}${d.reason ? `: ${d.reason}` : ""}`)}\n`;
    case "word":
      return `${(d.right ? style.warn : style.danger)(`... ${where}: ${describeDecision(d)} (${e.by})`)}\n`;
    case "retry":
    case "rollback":
    case "done":
    case "rerun":
      return `${style.warn(`... ${title}: ${describeDecision(d)} by ${e.by}`)}\n`;
  }
}

function hostFinishedLine(e: Extract<EngineEvent, { type: "host-finished" }>, style: Style): string {
  const secs = (e.durationMs / 1000).toFixed(1);
  if (e.status === "ok") return `    ${e.host}: ${style.ok("ok")} (${secs}s)\n`;
  if (e.status === "not-applicable")
    return `    ${e.host}: ${style.dim(`not applicable${e.detail ? `: ${e.detail}` : ""}`)}\n`;
  return `    ${e.host}: ${style.danger(e.status.toUpperCase())}${e.exitCode !== null ? ` exit ${e.exitCode}` : ""} (${secs}s)${whyBeyond(e.error, e.exitCode)}\n`;
}

/** ": why", unless it only repeats the exit code already said ("exit 3 … exit code 3"). */
function whyBeyond(error: string | undefined, exitCode: number | null): string {
  if (!error || (exitCode !== null && error === `exit code ${exitCode}`)) return "";
  return `: ${plainText(error)}`;
}

/** Why the run ended before a step that changes machines, and what to do. */
function stoppedLine(stoppedBefore: string | undefined): string {
  return stoppedBefore === undefined
    ? ""
    : `; stopped before ${stoppedBefore}, which changes the machines: nothing was changed after the checks; fix what they say, then runbook resume`;
}

function runFinishedLines(
  e: Extract<EngineEvent, { type: "run-finished" }>,
  steps: Steps,
  style: Style,
): string {
  const text =
    e.status === "empty"
      ? `run finished: ${e.reason ?? "nothing ran"}`
      : e.failedChecks
        ? `run finished: ${e.status}: ${plural(e.failedChecks.length, "check")} failed: ${e.failedChecks.join(", ")}${stoppedLine(e.stoppedBefore)}`
        : `run finished: ${e.status}${e.failedStep ? ` at step ${e.failedStep}` : ""}`;
  let out = "";
  // What went wrong, whole, where the run ends: each failed machine's reason and last lines.
  for (const f of e.failures ?? []) {
    out += `${style.danger(`  ${f.status} on ${f.host}: step ${stepNumber(steps.ids, f.stepId)} ${steps.titles.get(f.stepId) ?? f.stepId}${f.exitCode !== null ? `, exit ${f.exitCode}` : ""}${whyBeyond(f.error, f.exitCode)}`)}\n`;
    for (const line of f.tail ?? []) out += `      ${plainText(line)}\n`;
  }
  out += `${e.status === "ok" ? style.ok(text) : style.danger(text)}\n`;
  if (e.counts && e.status !== "aborted") out += `${style.dim(`    ${countsText(e.counts)}`)}\n`;
  return out;
}

/** How many steps ran, did not apply, were skipped; and machine by machine. */
export function countsText(c: RunCounts): string {
  const parts = [`${c.ran} of ${plural(c.steps, "step")} ran`];
  if (c.notApplicable > 0) parts.push(`${c.notApplicable} not applicable anywhere`);
  if (c.skipped > 0) parts.push(`${c.skipped} skipped`);
  const h = c.hosts;
  const machines = [
    `${h.ok} passed`,
    ...(h.failed ? [`${h.failed} failed`] : []),
    ...(h.notApplicable ? [`${h.notApplicable} not applicable`] : []),
  ];
  return `${parts.join(", ")}; on the machines: ${machines.join(", ")}`;
}

export function jsonReporter(write: (text: string) => void): (e: EngineEvent) => void {
  return (e) => write(`${JSON.stringify(e)}\n`);
}
