import { RunbookError, RunbookErrors } from "../model/errors.ts";
import { type Action, keepsGoing, type Runbook, type SourcePos, type Step } from "../model/runbook.ts";
import { parseCondition } from "./condition.ts";
import { misplacedValues } from "./shell-placements.ts";
import { didYouMean, nearest } from "./suggest.ts";
import { type TemplateExpr, templateExprs } from "./template.ts";

export const BUILTINS = ["host", "hosts", "runbook"] as const;
export const HOST_FIELDS = ["name", "address", "user", "port"] as const;

/**
 * Whole-runbook checks that need every include resolved: targets, variables, ids. Collects every
 * problem so one `runbook check` shows them all.
 */
export function validateRunbook(rb: Runbook): void {
  const errors: RunbookError[] = [];
  const attempt = (f: () => void) => {
    try {
      f();
    } catch (e) {
      if (e instanceof RunbookError) errors.push(e);
      else if (e instanceof RunbookErrors) errors.push(...e.errors);
      else throw e;
    }
  };
  const roles = new Set(rb.roles.map((r) => r.name));
  const groups = new Map(rb.groups.map((g) => [g.name, g]));
  const vars = new Map(rb.vars.map((v) => [v.name, v]));
  const selectors = [...roles, ...groups.keys(), "all"];
  // Declared before any check runs: checkTemplate (used for defaults below) reads `captured`.
  const captured = new Set<string>();
  const stepIds = new Map<string, SourcePos>();
  const phaseIds = new Map<string, SourcePos>();

  for (const g of rb.groups) {
    for (const m of g.members) {
      if (!roles.has(m) && !groups.has(m)) {
        errors.push(unknownTarget(m, `group ${g.name}`, selectors, g.pos));
      }
    }
    attempt(() => groupCycle(g.name, groups, []));
  }
  for (const r of rb.roles) {
    for (const name of Object.keys(r.vars)) {
      if (!vars.has(name)) {
        errors.push(
          new RunbookError(
            "undefined-variable",
            `role ${r.name} sets variable ${name}, which is not declared`,
            r.pos,
            didYouMean(name, vars.keys()) ?? `declare it under vars: (${name}: { describe: "..." })`,
          ),
        );
      }
    }
  }
  for (const v of rb.vars) {
    if (v.choices && v.default !== undefined && !v.choices.includes(String(v.default))) {
      errors.push(
        new RunbookError(
          "bad-variable",
          `default of ${v.name} is not one of its choices (${v.choices.join(", ")})`,
          v.pos,
        ),
      );
    }
    if (v.default !== undefined) attempt(() => checkTemplate(String(v.default), v.pos, new Set(), "at"));
  }

  /**
   * `within`: `pos` is where `text` starts, so errors point inside it. `at`: the text is not in the file
   * as written there (an attribute value, a YAML default), so errors point at `pos` itself.
   */
  function checkTemplate(
    text: string,
    pos: SourcePos,
    localCaptures: Set<string>,
    mode: "within" | "at" = "within",
  ): void {
    try {
      for (const expr of templateExprs(text, pos)) checkExpr(expr, localCaptures);
    } catch (e) {
      if (mode === "at" && e instanceof RunbookError) throw new RunbookError(e.code, e.message, pos, e.hint);
      throw e;
    }
  }

  function checkExpr(expr: TemplateExpr, localCaptures: Set<string>): void {
    const [head = "", field] = expr.path;
    if (head === "host") {
      if (!field || !(HOST_FIELDS as readonly string[]).includes(field) || expr.path.length > 2) {
        throw new RunbookError(
          "undefined-variable",
          `{{ ${expr.source} }}: host has ${HOST_FIELDS.join(", ")}`,
          expr.pos,
          didYouMean(field ?? "", HOST_FIELDS),
        );
      }
    } else if (head === "hosts") {
      if (!field || expr.path.length > 2 || !selectors.includes(field)) {
        throw unknownTarget(field ?? "", `{{ ${expr.source} }}`, selectors, expr.pos);
      }
    } else if (head === "runbook") {
      if (field !== "title" || expr.path.length > 2) {
        throw new RunbookError(
          "undefined-variable",
          `{{ ${expr.source} }}: only runbook.title is known`,
          expr.pos,
        );
      }
    } else if (expr.path.length > 1) {
      throw new RunbookError(
        "undefined-variable",
        `{{ ${expr.source} }}: ${head} has no fields`,
        expr.pos,
        `write {{ ${head} }}`,
      );
    } else if (!vars.has(head) && !captured.has(head) && !localCaptures.has(head)) {
      const known = [...vars.keys(), ...captured, ...BUILTINS];
      throw new RunbookError(
        "undefined-variable",
        `variable "${head}" is not declared`,
        expr.pos,
        didYouMean(head, known) ??
          `declare it in the front matter under vars:, or capture it in an earlier step`,
      );
    }
    for (const f of expr.filters) {
      for (const arg of f.args) {
        if (arg.kind === "ref" && !vars.has(arg.path[0] ?? "")) {
          throw new RunbookError(
            "undefined-variable",
            `variable "${arg.path.join(".")}" in {{ ${expr.source} }} is not declared`,
            expr.pos,
            didYouMean(arg.path[0] ?? "", vars.keys()) ?? "declare it under vars:, or quote it if it is text",
          );
        }
      }
    }
  }

  /** A value in shell text must stand where an expansion can carry it (see shell-placements). */
  function checkPlacements(text: string, pos: SourcePos): void {
    const raw = (e: TemplateExpr) =>
      e.filters.some((f) => f.name === "raw") || (vars.get(e.path[0] ?? "")?.raw ?? false);
    const found = misplacedValues(text, pos, raw);
    if (found.length > 0) throw new RunbookErrors(found);
  }

  function checkTargets(on: string[], pos: SourcePos): void {
    for (const sel of on) {
      if (sel.startsWith("@")) {
        if (!/^@[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(sel)) {
          throw new RunbookError(
            "unknown-target",
            `"${sel}" is not a machine name`,
            pos,
            "write on=@machine-name",
          );
        }
      } else if (!selectors.includes(sel)) {
        throw unknownTarget(sel, "on=", selectors, pos);
      }
    }
  }

  function checkWhen(when: string | undefined, pos: SourcePos): void {
    if (when === undefined) return;
    const cond = parseCondition(when, pos);
    for (const c of cond.flat()) {
      const decl = vars.get(c.variable);
      if (!decl) {
        throw new RunbookError(
          "undefined-variable",
          `when= uses variable "${c.variable}", which is not declared`,
          pos,
          didYouMean(c.variable, vars.keys()),
        );
      }
      if (decl.choices && !c.value.includes("{{") && !decl.choices.includes(c.value)) {
        throw new RunbookError(
          "bad-attribute",
          `when= compares ${c.variable} with "${c.value}", which is not one of its choices`,
          pos,
          didYouMean(c.value, decl.choices) ?? `choices: ${decl.choices.join(", ")}`,
        );
      }
    }
  }

  for (const phase of rb.phases) {
    const firstPhase = phaseIds.get(phase.id);
    if (firstPhase && phase.title !== "") {
      errors.push(duplicateId("phase", phase.id, phase.pos, firstPhase));
    }
    phaseIds.set(phase.id, phase.pos);
    for (const step of phase.steps) {
      const first = stepIds.get(step.id);
      if (first) errors.push(duplicateId("step", step.id, step.pos, first));
      else stepIds.set(step.id, step.pos);
      const local = new Set<string>();
      for (const action of step.actions) {
        attempt(() => checkTargets(action.on, action.pos));
        attempt(() => checkWhen(action.when, action.pos));
        if (action.when?.includes("{{"))
          attempt(() => checkTemplate(action.when as string, action.pos, local, "at"));
        for (const [text, pos, mode] of actionTexts(action))
          attempt(() => checkTemplate(text, pos, local, mode));
        for (const [text, pos] of shellTexts(action)) attempt(() => checkPlacements(text, pos));
        if (action.kind === "shell" && action.capture) local.add(action.capture);
      }
      for (const rb2 of step.rollbacks) {
        attempt(() => checkTargets(rb2.on, rb2.pos));
        attempt(() => checkWhen(rb2.when, rb2.pos));
        if (rb2.when?.includes("{{")) attempt(() => checkTemplate(rb2.when as string, rb2.pos, local, "at"));
        attempt(() => checkTemplate(rb2.command, bodyPos(rb2.pos), local));
        attempt(() => checkPlacements(rb2.command, bodyPos(rb2.pos)));
      }
      for (const c of local) captured.add(c);
      attempt(() => checkKeepGoing(step));
    }
  }
  if (errors.length > 0) throw new RunbookErrors(errors);
}

/** A step that goes on after a failure must be a check: one failed change would leave the rest unsafe. */
function checkKeepGoing(step: Step): void {
  if (!step.actions.some(keepsGoing)) return;
  const change = step.actions.find((a) => a.risk !== "read");
  if (change) {
    throw new RunbookError(
      "bad-attribute",
      `step ${step.id} has a keep-going check and an action that is risk=${change.risk}`,
      change.pos,
      "put the check in a step of its own: a step that changes something must stop the run when it fails",
    );
  }
}

/** The texts of an action that may hold templates, each with where it starts. */
function actionTexts(action: Action): [string, SourcePos, "within" | "at"][] {
  const out: [string, SourcePos, "within" | "at"][] = [];
  // Attribute values: errors point at the block, the model keeps no position per attribute.
  const push = (t: string | undefined) => {
    if (t !== undefined) out.push([t, action.pos, "at"]);
  };
  push(action.confirm);
  switch (action.kind) {
    case "shell":
      out.push([action.command, bodyPos(action.pos), "within"]);
      push(action.log);
      push(action.expect);
      push(action.wait?.target);
      push(action.wait?.pattern);
      break;
    case "file":
      push(action.path);
      out.push([action.content, bodyPos(action.pos), "within"]);
      break;
    case "ts":
      break;
  }
  return out;
}

/** The shell texts of an action, each with where it starts: the command and its wait-cmd. */
function shellTexts(action: Action): [string, SourcePos][] {
  if (action.kind !== "shell") return [];
  const out: [string, SourcePos][] = [[action.command, bodyPos(action.pos)]];
  if (action.wait?.kind === "command") out.push([action.wait.target, action.pos]);
  return out;
}

function bodyPos(pos: SourcePos): SourcePos {
  return { file: pos.file, line: pos.line + 1, col: 1 };
}

function unknownTarget(name: string, where: string, known: string[], pos: SourcePos): RunbookError {
  const near = nearest(name, known);
  return new RunbookError(
    "unknown-role",
    `role or group "${name}" in ${where} is not declared`,
    pos,
    near
      ? `did you mean "${near}"? (declared: ${known.join(", ")})`
      : `declared: ${known.join(", ")}; add it under roles: or groups:`,
  );
}

function duplicateId(what: string, id: string, pos: SourcePos, first: SourcePos): RunbookError {
  return new RunbookError(
    "duplicate-id",
    `${what} id "${id}" is used twice (first at ${first.file.split("/").pop()}:${first.line})`,
    pos,
    `give one of them its own id: end the heading with {#another-id}`,
  );
}

function groupCycle(
  name: string,
  groups: Map<string, { members: string[]; pos: SourcePos }>,
  seen: string[],
): void {
  const g = groups.get(name);
  if (!g) return;
  if (seen.includes(name)) {
    throw new RunbookError(
      "front-matter",
      `group ${name} contains itself (${[...seen, name].join(" -> ")})`,
      g.pos,
    );
  }
  for (const m of g.members) groupCycle(m, groups, [...seen, name]);
}
