import type { EngineEvent, RunCounts } from "../engine/events.ts";
import { plainText } from "../util/clean-line.ts";
import { plural } from "../util/plural.ts";
import { describeDecision } from "./describe-decision.ts";
import type { Style } from "./style.ts";

/**
 * Plain lines for a log, a pipe or CI: one line per event that matters, machine output prefixed with the
 * machine's name. Never an escape code unless the style adds colour.
 */
export function lineReporter(write: (text: string) => void, style: Style): (e: EngineEvent) => void {
  let total = 0;
  const index = new Map<string, number>();
  const titles = new Map<string, string>();
  return (e) => {
    switch (e.type) {
      case "run-started":
        total = e.steps.length;
        e.steps.forEach((s, i) => {
          index.set(s.id, i + 1);
          titles.set(s.id, s.title);
        });
        write(
          `${style.heading(`runbook: ${e.title}`)}  run ${e.runId}${e.resumed ? " (resumed)" : ""}  plan ${e.planHash.slice(0, 16)}\n`,
        );
        return;
      case "step-started":
        write(
          `${style.bold(`==> [${index.get(e.stepId)}/${total}] ${titles.get(e.stepId)}`)} ${style.dim(`#${e.stepId}`)}${e.hosts.length ? ` on ${e.hosts.join(", ")}` : " (manual)"}\n`,
        );
        return;
      case "decision": {
        const d = e.decision;
        const stepId = e.stepId ?? "";
        const where = `[${index.get(stepId)}/${total}] ${titles.get(stepId)}`;
        switch (d.kind) {
          case "run":
          case "back":
          case "secret":
          case "passphrase":
            return;
          case "host-key":
            write(`${(d.accepted ? style.warn : style.danger)(`... ${describeDecision(d)} (${e.by})`)}\n`);
            return;
          case "roll-back-steps":
            if (d.stepIds.length > 0) write(`${style.warn(`... ${describeDecision(d)} (${e.by})`)}\n`);
            return;
          case "skip":
            write(`${style.dim(`--- ${where}: skipped (${d.reason || "by operator"}) by ${e.by}`)}\n`);
            return;
          case "abort":
            write(
              `${style.danger(`!!! ${titles.get(stepId) ?? "run"}: aborted by ${e.by}${d.reason ? `: ${d.reason}` : ""}`)}\n`,
            );
            return;
          case "word":
            write(
              `${(d.right ? style.warn : style.danger)(`... ${where}: ${describeDecision(d)} (${e.by})`)}\n`,
            );
            return;
          case "retry":
          case "rollback":
          case "done":
          case "rerun":
            write(`${style.warn(`... ${titles.get(stepId)}: ${describeDecision(d)} by ${e.by}`)}\n`);
            return;
        }
        return;
      }
      case "host-status":
        if (e.status === "waiting" || e.status === "unknown")
          write(`    ${e.host}: ${e.status}${e.detail ? ` for ${e.detail}` : ""}\n`);
        return;
      case "output": {
        const mark = e.stream === "stderr" ? style.warn("!") : "|";
        // One write per chunk, not per line: a step printing a million lines stays one write per chunk.
        const prefix = `    ${e.host} ${mark} `;
        write(`${prefix}${plainText(e.text).replace(/\n$/, "").replaceAll("\n", `\n${prefix}`)}\n`);
        return;
      }
      case "captured":
        write(`    ${e.host}: captured ${e.name}\n`);
        return;
      case "host-finished": {
        const secs = (e.durationMs / 1000).toFixed(1);
        if (e.status === "ok") write(`    ${e.host}: ${style.ok("ok")} (${secs}s)\n`);
        else if (e.status === "not-applicable")
          write(`    ${e.host}: ${style.dim(`not applicable${e.detail ? `: ${e.detail}` : ""}`)}\n`);
        else
          write(
            `    ${e.host}: ${style.danger(e.status.toUpperCase())}${e.exitCode !== null ? ` exit ${e.exitCode}` : ""} (${secs}s)${e.error ? `: ${e.error}` : ""}\n`,
          );
        return;
      }
      case "rollback-finished":
        write(`    ${e.host}: rollback ${e.ok ? style.ok("ok") : style.danger(`FAILED: ${e.error}`)}\n`);
        return;
      case "step-finished":
        if (e.status !== "ok")
          write(
            `    step ${e.stepId}: ${style.danger(e.status)}${e.goesOn ? " (a keep-going check: the run goes on and reports it at the end)" : ""}\n`,
          );
        return;
      case "refused":
        write(`${style.danger(`refused: ${e.reason}`)}\n`);
        return;
      case "run-finished": {
        const text =
          e.status === "empty"
            ? `run finished: ${e.reason ?? "nothing ran"}`
            : e.failedChecks
              ? `run finished: ${e.status}: ${plural(e.failedChecks.length, "check")} failed: ${e.failedChecks.join(", ")}`
              : `run finished: ${e.status}${e.failedStep ? ` at step ${e.failedStep}` : ""}`;
        // What went wrong, whole, where the run ends: each failed machine's reason and last lines.
        for (const f of e.failures ?? []) {
          write(
            `${style.danger(`  ${f.status} on ${f.host}: step ${index.get(f.stepId) ?? "?"}/${total} ${titles.get(f.stepId) ?? f.stepId}${f.exitCode !== null ? `, exit ${f.exitCode}` : ""}${f.error ? `: ${plainText(f.error)}` : ""}`)}\n`,
          );
          for (const line of f.tail ?? []) write(`      ${plainText(line)}\n`);
        }
        write(`${e.status === "ok" ? style.ok(text) : style.danger(text)}\n`);
        if (e.counts && e.status !== "aborted") write(`${style.dim(`    ${countsText(e.counts)}`)}\n`);
        return;
      }
    }
  };
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
