import { RunbookError, RunbookErrors } from "../model/errors.ts";
import { type Action, keepsGoing, type Rollback, type SourcePos, type Step } from "../model/runbook.ts";
import { checkTemplate } from "./check-templates.ts";
import { parseCondition } from "./condition.ts";
import { misplacedValues } from "./shell-placements.ts";
import { didYouMean, listNames } from "./suggest.ts";
import type { TemplateExpr } from "./template.ts";
import type { ValidationScope } from "./validation-scope.ts";

/** An action's targets, condition and templates; `local` holds what the step captured before it. */
export function checkAction(scope: ValidationScope, action: Action, local: Set<string>): void {
  scope.attempt(() => checkTargets(scope, action.on, action.pos));
  scope.attempt(() => checkWhen(scope, action.when, action.pos));
  if (action.when?.includes("{{"))
    scope.attempt(() => checkTemplate(scope, action.when as string, action.pos, local, "at"));
  for (const [text, pos, mode] of actionTexts(action))
    scope.attempt(() => checkTemplate(scope, text, pos, local, mode));
  for (const [text, pos] of shellTexts(action)) scope.attempt(() => checkPlacements(scope, text, pos));
  if (action.kind === "shell" && action.capture) local.add(action.capture);
}

export function checkRollback(scope: ValidationScope, rb: Rollback, local: Set<string>): void {
  scope.attempt(() => checkTargets(scope, rb.on, rb.pos));
  scope.attempt(() => checkWhen(scope, rb.when, rb.pos));
  if (rb.when?.includes("{{"))
    scope.attempt(() => checkTemplate(scope, rb.when as string, rb.pos, local, "at"));
  scope.attempt(() => checkTemplate(scope, rb.command, bodyPos(rb.pos), local));
  if (rb.as?.includes("{{")) scope.attempt(() => checkTemplate(scope, rb.as as string, rb.pos, local, "at"));
  scope.attempt(() => checkPlacements(scope, rb.command, bodyPos(rb.pos)));
}

/** A step that goes on after a failure must be a check: one failed change would leave the rest unsafe. */
export function checkKeepGoing(step: Step): void {
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

/** A value in shell text must stand where an expansion can carry it (see shell-placements). */
function checkPlacements(scope: ValidationScope, text: string, pos: SourcePos): void {
  const raw = (e: TemplateExpr) =>
    e.filters.some((f) => f.name === "raw") || (scope.vars.get(e.path[0] ?? "")?.raw ?? false);
  const found = misplacedValues(text, pos, raw);
  if (found.length > 0) throw new RunbookErrors(found);
}

function checkTargets(scope: ValidationScope, on: string[], pos: SourcePos): void {
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
    } else if (!scope.isSelector.has(sel)) {
      throw scope.unknownTarget(sel, "on=", pos);
    }
  }
}

function checkWhen(scope: ValidationScope, when: string | undefined, pos: SourcePos): void {
  if (when === undefined) return;
  const cond = parseCondition(when, pos);
  for (const c of cond.flat()) {
    const decl = scope.vars.get(c.variable);
    if (!decl) {
      throw new RunbookError(
        "undefined-variable",
        `when= uses variable "${c.variable}", which is not declared`,
        pos,
        didYouMean(c.variable, scope.vars.keys(), scope.budget),
      );
    }
    if (decl.choices && !c.value.includes("{{") && !decl.choices.includes(c.value)) {
      throw new RunbookError(
        "bad-attribute",
        `when= compares ${c.variable} with "${c.value}", which is not one of its choices`,
        pos,
        didYouMean(c.value, decl.choices, scope.budget) ?? `choices: ${listNames(decl.choices)}`,
      );
    }
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
  push(action.as);
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
