import { formatDuration } from "../format/duration.ts";
import { displayPath } from "../model/errors.ts";
import type {
  Plan,
  PlanHost,
  PlannedAction,
  PlannedRollback,
  PlannedRollout,
  PlannedStep,
  PlannedTarget,
} from "../model/plan.ts";
import type { Style } from "./style.ts";

/**
 * The dry-run review: every phase and step, its risk, and for each machine the exact command and its
 * rollback. Machines that would run the very same thing are listed together so differences stand out.
 */
export function renderPlanText(plan: Plan, style: Style, cwd?: string): string {
  const out: string[] = [];
  const hostsByName = new Map(plan.hosts.map((h) => [h.name, h]));
  const steps = plan.phases.flatMap((p) => p.steps);
  const count = (risk: string) => steps.filter((s) => !s.skipped && s.risk === risk).length;
  out.push(style.heading(`Plan: ${plan.runbook.title}`));
  out.push(`  runbook    ${displayPath(plan.runbook.file, cwd)}`);
  out.push(`  inventory  ${displayPath(plan.inventory.file, cwd)}`);
  out.push(`  plan hash  ${plan.hash.slice(0, 16)}`);
  out.push(
    `  steps      ${steps.length} (${style.risk("read", `${count("read")} read`)}, ${style.risk("change", `${count("change")} change`)}, ${style.risk("destructive", `${count("destructive")} destructive`)}${skippedCount(steps)})`,
  );
  if (Object.keys(plan.overrides).length > 0) {
    out.push(
      `  --var      ${Object.entries(plan.overrides)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ")}`,
    );
  }
  if (plan.limit) out.push(`  --limit    ${plan.limit.join(",")}`);
  if (plan.secrets.length > 0)
    out.push(`  secrets    ${plan.secrets.join(", ")} (asked at run time, never shown)`);
  const acting = steps.filter((s) => s.targets.some((t) => t.actions.length > 0));
  if (acting.length === 0 && steps.some((s) => s.skipped))
    out.push(
      style.danger(
        `  nothing would run: no machine of the plan matches its steps${plan.limit ? ` (--limit ${plan.limit.join(",")})` : ""}; a run of it ends "nothing ran" (exit 5)`,
      ),
    );
  out.push("");
  out.push(style.bold("Machines"));
  for (const h of plan.hosts) out.push(`  ${hostLine(h)}`);
  plan.phases.forEach((phase, pi) => {
    out.push("");
    out.push(style.heading(`${pi + 1}. ${phase.title || "(steps)"}`));
    phase.steps.forEach((step, si) => {
      out.push("");
      out.push(...renderStep(step, `${pi + 1}.${si + 1}`, hostsByName, style));
    });
  });
  out.push("");
  return out.join("\n");
}

function skippedCount(steps: PlannedStep[]): string {
  const n = steps.filter((s) => s.skipped).length;
  return n > 0 ? `, ${n} skipped` : "";
}

function hostLine(h: PlanHost): string {
  const where =
    h.transport === "local" ? "local" : `${h.user ? `${h.user}@` : ""}${h.address}:${h.port}${routeOf(h)}`;
  const become = h.become ? `  runs as ${h.become}` : "";
  return `${h.name.padEnd(12)} ${where.padEnd(h.via ? 40 : 28)} roles: ${h.roles.join(", ")}${become}`;
}

/** " via bastion1" (or a chain, first hop first) for a machine reached through jump hosts. */
function routeOf(h: PlanHost): string {
  return h.via ? ` via ${h.via.map((j) => j.name).join(" → ")}` : "";
}

function renderStep(step: PlannedStep, number: string, hosts: Map<string, PlanHost>, style: Style): string[] {
  const out: string[] = [];
  const risk = style.risk(step.risk, `[${step.risk}${step.keepGoing ? ", keep-going" : ""}]`);
  out.push(`  ${style.bold(`${number} ${step.title}`)}  ${style.dim(`#${step.id}`)}  ${risk}`);
  // Where the machines' values differ the step's prose keeps {{ }}: show it as the first machine reads it.
  const own = step.targets.find((t) => t.prose !== undefined);
  const summary =
    firstParagraph(step.prose).includes("{{") && own?.prose
      ? `${firstParagraph(own.prose)} (as on ${own.host})`
      : firstParagraph(step.prose);
  if (summary) out.push(...indent(summary, "     ").map(style.dim));
  for (const note of step.notes) {
    const mark =
      note.level === "info"
        ? style.ok("note")
        : note.level === "warning"
          ? style.warn("warning")
          : style.danger("danger");
    out.push(...indent(note.text, "       ").map((l, i) => (i === 0 ? `     ${mark}: ${l.trimStart()}` : l)));
  }
  if (step.confirm) out.push(`     ${style.danger(`requires typing "${step.confirm}" to run`)}`);
  if (step.rollout) out.push(...rolloutLines(step.rollout).map((l) => `     ${style.warn(l)}`));
  if (step.gateOf)
    out.push(`     ${style.warn(`the gate of step ${step.gateOf}: runs after each of its batches`)}`);
  if (step.skipped) {
    out.push(`     ${style.dim(`skipped: ${step.skipped}`)}`);
    return out;
  }
  if (step.targets.length === 0) {
    out.push(`     ${style.dim("manual step: nothing runs; the operator confirms it is done")}`);
    return out;
  }
  for (const group of groupTargets(step.targets, hosts)) {
    const names = group.hosts.map((h) => {
      const host = hosts.get(h);
      return host ? `${h} (${host.address}${routeOf(host)})` : h;
    });
    out.push(`     on ${style.bold(names.join(", "))}:`);
    // The machine's list line says who its commands run as; an action says so only when it differs.
    // An action without as= runs as the login user: said so where the machine runs as another.
    const machine = hosts.get(group.hosts[0] ?? "");
    const become = machine?.become;
    const own = <T extends { as?: string }>(a: T): T =>
      a.as === become
        ? { ...a, as: undefined }
        : a.as === undefined
          ? { ...a, as: `${machine?.user ?? "the login user"} (the login)` }
          : a;
    for (const a of group.target.actions) out.push(...renderAction(own(a), style));
    if (group.target.rollback.length === 0) {
      out.push(`       ${style.dim("rollback: none")}`);
    }
    for (const r of group.target.rollback) out.push(...renderRollback(own(r), style));
  }
  return out;
}

/** How a rolled-out step goes: its batches, what failure it tolerates, what runs between batches. */
function rolloutLines(r: PlannedRollout): string[] {
  const n = r.batches.length;
  const machines = (k: number) => `${k} machine${k === 1 ? "" : "s"}`;
  const lines = [
    `rolled out in ${n} batch${n === 1 ? "" : "es"}: ${r.batches.map((b) => b.join(", ")).join(" | ")}`,
  ];
  lines.push(
    r.maxFail === 0
      ? "the first failed machine stops the rollout before the next batch"
      : `goes on while at most ${machines(r.maxFail)} failed; one more stops it before the next batch`,
  );
  if (r.gate) lines.push(`after each batch: step ${r.gate}, which must pass before the rollout goes on`);
  if (r.pauseMs && n > 1) lines.push(`a pause of ${formatDuration(r.pauseMs)} before each next batch`);
  return lines;
}

/**
 * Machines whose actions and rollbacks are identical, together, in inventory order; machines that run
 * as different users are never together (what an action says of its user depends on its machine's).
 */
function groupTargets(
  targets: PlannedTarget[],
  hosts: Map<string, PlanHost>,
): { hosts: string[]; target: PlannedTarget }[] {
  const groups = new Map<string, { hosts: string[]; target: PlannedTarget }>();
  for (const t of targets) {
    const machine = hosts.get(t.host);
    const key = JSON.stringify([
      // A machine's user matters only where it runs as another one ("as ops (the login)").
      machine?.become ? [machine.become, machine.user ?? null] : null,
      t.actions.map((a) => ({ ...a, source: undefined })),
      t.rollback.map((r) => ({ ...r, source: undefined })),
    ]);
    const g = groups.get(key);
    if (g) g.hosts.push(t.host);
    else groups.set(key, { hosts: [t.host], target: t });
  }
  return [...groups.values()];
}

function renderAction(a: PlannedAction, style: Style): string[] {
  const out: string[] = [];
  const tag = a.risk === "change" ? "" : ` ${style.risk(a.risk, `[${a.risk}]`)}`;
  switch (a.kind) {
    case "shell": {
      out.push(...prefixLines(a.command, `       ${style.dim("$")} `, "         "));
      const facts: string[] = [];
      if (a.as) facts.push(style.warn(`as ${a.as}`));
      if (a.risk !== "change") facts.push(style.risk(a.risk, a.risk));
      if (a.background) facts.push(`background${a.log ? ` (output to ${a.log})` : ""}`);
      if (a.wait) facts.push(`wait: ${waitText(a.wait)} within ${formatDuration(a.wait.timeoutMs)}`);
      else facts.push(`timeout ${formatDuration(a.timeoutMs)}`);
      if (a.retries > 0)
        facts.push(`retries ${a.retries} (from ${formatDuration(a.retryDelayMs)}, doubling)`);
      if (a.expect) facts.push(`expect output /${a.expect}/`);
      if (a.capture) facts.push(`capture stdout as ${a.capture}`);
      if (a.deferred.length > 0) facts.push(`filled in at run time: ${a.deferred.join(", ")}`);
      out.push(`         ${style.dim(facts.join(" · "))}`);
      break;
    }
    case "file": {
      const owner = a.as ? `, as ${a.as}` : "";
      out.push(`       ${style.dim("write")} ${a.path} ${style.dim(`(mode ${a.mode}${owner})`)}${tag}`);
      out.push(
        ...prefixLines(
          a.content.replace(/\n$/, ""),
          `         ${style.dim("|")} `,
          `         ${style.dim("|")} `,
        ),
      );
      break;
    }
    case "ts": {
      out.push(`       ${style.dim("ts")}${a.as ? ` ${style.warn(`(commands as ${a.as})`)}` : ""}${tag}`);
      out.push(
        ...prefixLines(
          a.code.replace(/\n$/, ""),
          `         ${style.dim(">")} `,
          `         ${style.dim(">")} `,
        ),
      );
      break;
    }
  }
  return out;
}

function renderRollback(r: PlannedRollback, style: Style): string[] {
  const as = r.as ? ` (as ${r.as})` : "";
  return prefixLines(
    r.command,
    `       ${style.warn(`rollback${as}`)} ${style.dim("$")} `,
    " ".repeat(18 + as.length),
  );
}

function waitText(w: NonNullable<Extract<PlannedAction, { kind: "shell" }>["wait"]>): string {
  switch (w.kind) {
    case "log":
      return `a new line in ${w.target} matching /${w.pattern}/`;
    case "port":
      return `port ${w.target} open`;
    case "command":
      return `\`${w.target.trim()}\` succeeds`;
  }
}

function prefixLines(text: string, first: string, rest: string): string[] {
  return text
    .replace(/\n$/, "")
    .split("\n")
    .map((l, i) => `${i === 0 ? first : rest}${l}`);
}

function indent(text: string, pad: string): string[] {
  return text.split("\n").map((l) => `${pad}${l}`);
}

function firstParagraph(prose: string): string {
  return (prose.split(/\n\s*\n/)[0] ?? "").trim();
}
