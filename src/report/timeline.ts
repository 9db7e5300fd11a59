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
  const step = (id: string) => cell(titles.get(id) ?? id);
  const rows = events.flatMap((e) => {
    const r = rowOf(e);
    return r
      ? [
          `| ${e.at.slice(11, 19)} | ${r.step ? step(r.step) : ""} | ${r.host} | ${cell(r.what)} | ${cell(r.by ?? "")} |`,
        ]
      : [];
  });
  return [
    ...heading(runId, plan, events),
    "",
    "## Timeline",
    "",
    "| time (UTC) | step | machine | what | by |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    ...outputSection(events, step),
    "",
  ].join("\n");
}

function cell(s: string): string {
  return s.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function heading(runId: string, plan: Plan, events: EngineEvent[]): string[] {
  const started = events.find((e) => e.type === "run-started");
  const finished = [...events].reverse().find((e) => e.type === "run-finished");
  const why = finished?.failedChecks
    ? ` (checks failed: ${finished.failedChecks.map((id) => `\`${id}\``).join(", ")})`
    : finished?.failedStep
      ? ` (step \`${finished.failedStep}\`)`
      : "";
  return [
    `# Run ${runId}: ${plan.runbook.title}`,
    "",
    `- runbook: \`${plan.runbook.file}\``,
    `- inventory: \`${plan.inventory.file}\``,
    `- plan hash: \`${plan.hash}\``,
    ...(started ? [`- started: ${started.at}`] : []),
    `- result: ${finished ? `**${finished.status}** at ${finished.at}${why}` : "**unfinished** (resumable)"}`,
  ];
}

/** The timeline's row for an event, if it has one. */
function rowOf(e: EngineEvent): { step: string; host: string; what: string; by?: string } | undefined {
  switch (e.type) {
    case "run-started":
      return { step: "", host: "", what: e.resumed ? "run resumed" : "run started" };
    case "decision":
      return { step: e.stepId ?? "", host: "", what: describeDecision(e.decision), by: e.by };
    case "step-started":
      return { step: e.stepId, host: e.hosts.join(", "), what: "started" };
    case "batch-started":
      return {
        step: e.stepId,
        host: e.hosts.join(", "),
        what: `batch ${e.batch}/${e.of}${e.pauseMs ? ` after a ${e.pauseMs / 1000}s pause` : ""}`,
      };
    case "host-status":
      if (e.status !== "unknown" && e.status !== "waiting") return undefined;
      return { step: e.stepId, host: e.host, what: `${e.status}${e.detail ? `: ${e.detail}` : ""}` };
    case "host-finished":
      return {
        step: e.stepId,
        host: e.host,
        what: `${e.status}${e.exitCode !== null ? ` (exit ${e.exitCode})` : ""} in ${(e.durationMs / 1000).toFixed(1)}s${e.error ? `: ${e.error}` : ""}`,
      };
    case "rollback-finished":
      return { step: e.stepId, host: e.host, what: e.ok ? "rolled back" : `rollback failed: ${e.error}` };
    case "refused":
      return { step: "", host: e.host ?? "", what: `refused: ${e.reason}` };
    case "run-finished":
      return { step: "", host: "", what: `run ${e.status}` };
    case "step-finished":
    case "captured":
    case "output":
    case "command-sent":
    case "command-started":
    case "question":
      return undefined;
  }
}

/** Each machine's output per step, whole. */
function outputSection(events: EngineEvent[], step: (id: string) => string): string[] {
  const outputs = new Map<string, string>();
  for (const e of events) {
    if (e.type !== "output") continue;
    const key = `${e.stepId}\u0000${e.host}`;
    outputs.set(key, (outputs.get(key) ?? "") + e.text);
  }
  if (outputs.size === 0) return [];
  const out = ["", "## Output"];
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
  return out;
}
