import type { EngineEvent } from "../engine/events.ts";
import type { Plan } from "../model/plan.ts";
import { plainText } from "../util/clean-line.ts";
import { describeDecision } from "./describe-decision.ts";

/**
 * A run as a Markdown incident timeline: who decided what and when, what each machine did, and each
 * machine's output per step. Built from the journal only, so it can be produced after the fact.
 */
export function renderTimeline(runId: string, plan: Plan, events: EngineEvent[]): string {
  const titles = new Map(plan.phases.flatMap((p) => p.steps.map((s) => [s.id, s.title] as const)));
  const started = events.find((e) => e.type === "run-started");
  const finished = [...events].reverse().find((e) => e.type === "run-finished");
  const out: string[] = [];
  out.push(`# Run ${runId}: ${plan.runbook.title}`, "");
  out.push(`- runbook: \`${plan.runbook.file}\``);
  out.push(`- inventory: \`${plan.inventory.file}\``);
  out.push(`- plan hash: \`${plan.hash}\``);
  if (started) out.push(`- started: ${started.at}`);
  out.push(
    `- result: ${finished ? `**${finished.status}** at ${finished.at}${finished.failedChecks ? ` (checks failed: ${finished.failedChecks.map((id) => `\`${id}\``).join(", ")})` : finished.failedStep ? ` (step \`${finished.failedStep}\`)` : ""}` : "**unfinished** (resumable)"}`,
  );
  out.push(
    "",
    "## Timeline",
    "",
    "| time (UTC) | step | machine | what | by |",
    "| --- | --- | --- | --- | --- |",
  );
  const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");
  const step = (id: string) => `${cell(titles.get(id) ?? id)}`;
  const row = (at: string, stepId: string, host: string, what: string, by = "") =>
    out.push(
      `| ${at.slice(11, 19)} | ${stepId ? step(stepId) : ""} | ${host} | ${cell(what)} | ${cell(by)} |`,
    );
  for (const e of events) {
    switch (e.type) {
      case "run-started":
        row(e.at, "", "", e.resumed ? "run resumed" : "run started");
        break;
      case "decision": {
        row(e.at, e.stepId ?? "", "", describeDecision(e.decision), e.by);
        break;
      }
      case "step-started":
        row(e.at, e.stepId, e.hosts.join(", "), "started");
        break;
      case "host-status":
        if (e.status === "unknown" || e.status === "waiting")
          row(e.at, e.stepId, e.host, `${e.status}${e.detail ? `: ${e.detail}` : ""}`);
        break;
      case "host-finished":
        row(
          e.at,
          e.stepId,
          e.host,
          `${e.status}${e.exitCode !== null ? ` (exit ${e.exitCode})` : ""} in ${(e.durationMs / 1000).toFixed(1)}s${e.error ? `: ${e.error}` : ""}`,
        );
        break;
      case "rollback-finished":
        row(e.at, e.stepId, e.host, e.ok ? "rolled back" : `rollback failed: ${e.error}`);
        break;
      case "refused":
        row(e.at, "", e.host ?? "", `refused: ${e.reason}`);
        break;
      case "run-finished":
        row(e.at, "", "", `run ${e.status}`);
        break;
      case "step-finished":
      case "captured":
      case "output":
      case "command-sent":
      case "command-started":
      case "question":
        break;
    }
  }
  const outputs = new Map<string, string>();
  for (const e of events) {
    if (e.type !== "output") continue;
    const key = `${e.stepId}\u0000${e.host}`;
    outputs.set(key, (outputs.get(key) ?? "") + e.text);
  }
  if (outputs.size > 0) out.push("", "## Output");
  for (const [key, text] of outputs) {
    const [stepId = "", host = ""] = key.split("\u0000");
    const fence = text.includes("```") ? "~~~~" : "```";
    out.push(
      "",
      `### ${step(stepId)} on ${host}`,
      "",
      `${fence}text`,
      plainText(text).replace(/\n$/, ""),
      fence,
    );
  }
  out.push("");
  return out.join("\n");
}
