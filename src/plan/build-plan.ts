import { createHash } from "node:crypto";
import { REGEX_HINT } from "../format/actions.ts";
import { evaluateCondition, parseCondition } from "../format/condition.ts";
import { didYouMean } from "../format/suggest.ts";
import { parseTemplate, type TemplatePart } from "../format/template.ts";
import { RunbookError } from "../model/errors.ts";
import type { Host, Inventory } from "../model/inventory.ts";
import {
  NO_MACHINE,
  PLAN_FORMAT,
  type Plan,
  type PlanHost,
  type PlannedAction,
  type PlannedPhase,
  type PlannedRollback,
  type PlannedStep,
  type PlannedTarget,
} from "../model/plan.ts";
import {
  type Action,
  keepsGoing,
  RISKS,
  type Risk,
  type Runbook,
  type SourcePos,
  type Step,
} from "../model/runbook.ts";
import { HostScope, MissingValueError, type PlanInputs, type RenderMode } from "./scope.ts";
import { compileShell } from "./shell-script.ts";
import { Targets } from "./targets.ts";

export const DEFAULT_COMMAND_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_WAIT_TIMEOUT_MS = 2 * 60_000;

export interface PlanOptions {
  vars?: Record<string, string>;
  limit?: string[];
}

/** Runbook + inventory + variables -> every step with, per machine, exactly what will run. */
export function buildPlan(runbook: Runbook, inventory: Inventory, opts: PlanOptions = {}): Plan {
  const overrides = opts.vars ?? {};
  const declared = new Map(runbook.vars.map((v) => [v.name, v]));
  for (const name of Object.keys(overrides)) {
    const decl = declared.get(name);
    if (!decl) {
      throw new RunbookError(
        "usage",
        `--var ${name}: this runbook declares no variable ${name}`,
        undefined,
        suggestVar(name, runbook),
      );
    }
    if (decl.secret) {
      throw new RunbookError(
        "usage",
        `--var ${name}: ${name} is a secret and is never taken on the command line`,
        undefined,
        `supply it at run time (it is asked for, or read from RUNBOOK_SECRET_${name.toUpperCase()})`,
      );
    }
  }
  const targets = new Targets(runbook, inventory, opts.limit);
  targets.checkRolesCovered();
  const inputs: PlanInputs = { runbook, inventory, overrides, targets };
  const participants = targets.participants();
  /** Machines in inventory order, the order of every step's targets. */
  const order = inventory.hosts.map((h) => h.name);
  const captured = new Set<string>();
  const scopes = new Map(participants.map((h) => [h.name, new HostScope(inputs, h, captured)]));
  const scopeFor = (name: string) => {
    const s = scopes.get(name);
    if (s) return s;
    const host = inventory.hosts.find((h) => h.name === name);
    if (!host) throw new Error(`no host ${name}`);
    const created = new HostScope(inputs, host, captured);
    scopes.set(name, created);
    return created;
  };

  const phases: PlannedPhase[] = runbook.phases.map((phase) => ({
    id: phase.id,
    title: phase.title,
    prose: renderProse(
      phase.prose,
      participants.map((h) => scopeFor(h.name)),
      phase.pos,
    ),
    steps: phase.steps.map((step) => {
      // planStep adds each capture as it passes it: later actions of the same step may use it.
      return planStep(step, phase.id, runbook, targets, scopeFor, captured, order);
    }),
  }));

  // Every machine the plan acts on: the runbook's roles, and any machine named with on=@name.
  const targeted = new Set(phases.flatMap((p) => p.steps.flatMap((s) => s.targets.map((t) => t.host))));
  // Outside --limit the runner does not act, so it neither connects nor locks there.
  const acting = inventory.hosts.filter(
    (h) => (participants.includes(h) && targets.allows(h.name)) || targeted.has(h.name),
  );
  const hosts: PlanHost[] = acting.map((h) => {
    const scope = scopeFor(h.name);
    const vars: Record<string, string> = {};
    for (const v of runbook.vars) {
      if (v.secret) continue;
      try {
        vars[v.name] = scope.valueOf(v.name) ?? "";
      } catch (e) {
        // A variable this machine never uses may lack a value; only a used one is an error.
        if (!(e instanceof MissingValueError)) throw e;
      }
    }
    return {
      name: h.name,
      transport: h.transport,
      address: h.address,
      port: h.port,
      user: h.user,
      ...viaOf(h),
      roles: h.roles,
      vars,
    };
  });

  const body: Omit<Plan, "hash"> = {
    format: PLAN_FORMAT,
    runbook: {
      file: runbook.file,
      title: runbook.title,
      summary: runbook.summary,
      intro: runbook.intro,
      sources: runbook.sources,
    },
    inventory: { file: inventory.file, sha256: inventory.sha256 },
    overrides,
    limit: opts.limit,
    // Only the secrets some action uses: a run is asked for those and no others.
    secrets: runbook.vars.filter((v) => v.secret && usesDeferred(phases, v.name)).map((v) => v.name),
    hosts,
    phases,
  };
  return { ...body, hash: planHash(body) };
}

/** The bastions a machine is reached through, as the plan shows them (nothing when it is direct). */
function viaOf(h: Host): Pick<PlanHost, "via"> {
  return h.jump
    ? { via: h.jump.map((j) => ({ name: j.name, address: j.address, port: j.port, user: j.user })) }
    : {};
}

/**
 * Canonical JSON (sorted keys) so the hash depends on content, not on property order. File paths are
 * left out: the sha256 of every source file is in, so the same runbook checked out elsewhere gives the
 * same hash and any edit gives another.
 */
export function planHash(body: Omit<Plan, "hash">): string {
  return createHash("sha256").update(canonicalJson(body)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([k, v]) => v !== undefined && k !== "file")
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function planStep(
  step: Step,
  phaseId: string,
  runbook: Runbook,
  targets: Targets,
  scopeFor: (host: string) => HostScope,
  captured: Set<string>,
  order: string[],
): PlannedStep {
  const byHost = new Map<string, PlannedTarget>();
  const target = (host: string) => {
    let t = byHost.get(host);
    if (!t) {
      t = { host, actions: [], rollback: [] };
      byHost.set(host, t);
    }
    return t;
  };
  const applies = (when: string | undefined, scope: HostScope, pos: Action["pos"]) => {
    if (when === undefined) return true;
    // The condition is read as the author wrote it; a value from a variable (`broker_name ==
    // '{{ broker }}'`) is then filled in per machine and compared as a value, never read as syntax.
    const cond = parseCondition(when, pos).map((all) =>
      all.map((c) => (c.value.includes("{{") ? { ...c, value: scope.render(c.value, "text", pos).text } : c)),
    );
    return evaluateCondition(cond, (name) => scope.valueOf(name) ?? "");
  };
  let risk: Risk = "read";
  let confirmSource: { text: string; host: string; pos: Action["pos"] } | undefined;
  for (const action of step.actions) {
    for (const host of targets.resolve(action.on, action.pos)) {
      const scope = scopeFor(host.name);
      if (!applies(action.when, scope, action.pos)) continue;
      target(host.name).actions.push(planAction(action, scope));
      if (RISKS.indexOf(action.risk) > RISKS.indexOf(risk)) risk = action.risk;
      if (action.risk === "destructive" && !confirmSource) {
        confirmSource = {
          text: action.confirm ?? runbook.confirm ?? step.id,
          host: host.name,
          pos: action.pos,
        };
      }
    }
    if (action.kind === "shell" && action.capture) captured.add(action.capture);
  }
  for (const rb of step.rollbacks) {
    for (const host of targets.resolve(rb.on, rb.pos)) {
      const scope = scopeFor(host.name);
      if (!applies(rb.when, scope, rb.pos)) continue;
      const r = compileShell(rb.command, { ...rb.pos, line: rb.pos.line + 1, col: 1 }, scope);
      const planned: PlannedRollback = {
        source: rb.pos,
        command: r.display,
        run: r.run,
        timeoutMs: rb.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
        deferred: r.deferred,
      };
      // A rollback only makes sense where the step did something.
      if (byHost.has(host.name) || step.actions.length === 0) target(host.name).rollback.push(planned);
    }
  }
  // Where the machines' values differ, each machine reads the prose with its own.
  for (const t of byHost.values()) {
    const own = renderProse(step.prose, [scopeFor(t.host)], step.pos);
    if (own.includes("{{") || own === step.prose) continue;
    t.prose = own;
  }
  const planned: PlannedStep = {
    id: step.id,
    title: step.title,
    phase: phaseId,
    prose: renderProse(
      step.prose,
      (byHost.size > 0 ? [...byHost.keys()] : targets.participants().map((h) => h.name)).map(scopeFor),
      step.pos,
    ),
    notes: step.notes,
    risk: step.actions.length === 0 ? "read" : risk,
    targets: [...byHost.values()].sort((a, b) => order.indexOf(a.host) - order.indexOf(b.host)),
    source: step.pos,
  };
  for (const t of planned.targets) if (t.prose === planned.prose) delete t.prose;
  if (step.actions.some(keepsGoing)) planned.keepGoing = true;
  if (confirmSource) {
    planned.confirm = scopeFor(confirmSource.host).render(confirmSource.text, "text", confirmSource.pos).text;
  }
  if (step.actions.length > 0 && byHost.size === 0) {
    planned.skipped = NO_MACHINE;
    // Nothing acts, but the reviewer still reads what the step is: its declared risk.
    planned.risk = step.actions.reduce<Risk>(
      (r, a) => (RISKS.indexOf(a.risk) > RISKS.indexOf(r) ? a.risk : r),
      "read",
    );
  }
  return planned;
}

function planAction(action: Action, scope: HostScope): PlannedAction {
  const body = { ...action.pos, line: action.pos.line + 1, col: 1 };
  const attr = (text: string | undefined, mode: RenderMode = "text") =>
    text === undefined ? undefined : scope.render(text, mode, action.pos);
  switch (action.kind) {
    case "shell": {
      const cmd = compileShell(action.command, body, scope);
      const wait = action.wait;
      const waitCmd = wait?.kind === "command" ? compileShell(wait.target, action.pos, scope) : undefined;
      const waitTarget = wait
        ? waitCmd
          ? { text: waitCmd.display, deferred: waitCmd.deferred }
          : attr(wait.target)
        : undefined;
      const deferred = [...cmd.deferred, ...(waitTarget?.deferred ?? [])];
      // The target is used in a /dev/tcp/HOST/PORT redirection: only a port (or host:port) may get there.
      if (wait?.kind === "port" && waitTarget && !/^([A-Za-z0-9._-]+:)?\d{1,5}$/.test(waitTarget.text)) {
        throw new RunbookError(
          "bad-variable",
          `wait-port= is "${waitTarget.text}" here, which is not a port`,
          action.pos,
          "give the variable a port number such as 9876, or write host:9876",
        );
      }
      const expect = attr(action.expect, "regex")?.text;
      const waitPattern = attr(wait?.pattern, "regex")?.text;
      checkPattern(expect, "expect", action.pos);
      checkPattern(waitPattern, "wait-for", action.pos);
      return {
        kind: "shell",
        source: action.pos,
        risk: action.risk,
        deferred: [...new Set(deferred)],
        command: cmd.display,
        run: cmd.run,
        background: action.background,
        log: attr(action.log)?.text,
        wait:
          wait && waitTarget
            ? {
                kind: wait.kind,
                target: waitTarget.text,
                ...(waitCmd ? { run: waitCmd.run } : {}),
                pattern: waitPattern,
                timeoutMs: action.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS,
              }
            : undefined,
        timeoutMs: action.background
          ? (action.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS)
          : (action.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS),
        retries: action.retries,
        retryDelayMs: action.retryDelayMs,
        capture: action.capture,
        expect,
      };
    }
    case "file": {
      const content = scope.render(action.content, "text", body);
      const path = scope.render(action.path, "text", action.pos);
      return {
        kind: "file",
        source: action.pos,
        risk: action.risk,
        deferred: [...new Set([...content.deferred, ...path.deferred])],
        path: path.text,
        content: content.text,
        mode: action.mode,
      };
    }
    case "ts":
      return {
        kind: "ts",
        source: action.pos,
        risk: action.risk,
        deferred: [],
        code: action.code,
        timeoutMs: action.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
        retries: action.retries,
        retryDelayMs: action.retryDelayMs,
      };
  }
}

function suggestVar(name: string, runbook: Runbook): string {
  const names = runbook.vars.map((v) => v.name);
  return didYouMean(name, names) ?? `declared variables: ${names.join(", ")}`;
}

function usesDeferred(phases: PlannedPhase[], name: string): boolean {
  return phases.some((p) =>
    p.steps.some((s) =>
      s.targets.some((t) => [...t.actions, ...t.rollback].some((a) => a.deferred.includes(name))),
    ),
  );
}

/** A pattern with a variable in it is only known per machine: checked here, not at parse time. */
function checkPattern(pattern: string | undefined, key: string, pos: Action["pos"]): void {
  if (pattern === undefined) return;
  try {
    new RegExp(pattern);
  } catch (e) {
    throw new RunbookError(
      "bad-attribute",
      `${key}= is not a valid regular expression here: ${(e as Error).message} (in /${pattern}/)`,
      pos,
      REGEX_HINT,
    );
  }
}

/**
 * Prose shows the values a reader would otherwise look up: a variable is filled in where every machine
 * of the step has the same value, and left as written where they differ (the card and the plan show
 * each machine's own command).
 */
function renderProse(text: string, scopes: HostScope[], pos: SourcePos): string {
  if (!text.includes("{{") || scopes.length === 0) return text;
  let parts: TemplatePart[];
  try {
    parts = parseTemplate(text, pos);
  } catch {
    return text;
  }
  return parts
    .map((part) => {
      if (part.kind === "text") return part.text;
      const whole = `{{ ${part.expr.source} }}`;
      const values = new Set<string>();
      for (const scope of scopes) {
        try {
          const r = scope.render(whole, "text", part.expr.pos);
          if (r.deferred.length > 0) return whole;
          values.add(r.text);
        } catch {
          return whole;
        }
      }
      return values.size === 1 ? ([...values][0] as string) : whole;
    })
    .join("");
}
