import { RunbookErrors } from "../model/errors.ts";
import type { Action, Phase, Rollback, Runbook, SourcePos, Step } from "../model/runbook.ts";
import { checkGroupMembers, checkRoleVars, checkVarDefaults } from "./check-declarations.ts";
import { checkRollouts } from "./check-rollouts.ts";
import { checkPhasesAndSteps } from "./check-steps.ts";
import { groupCycles } from "./group-cycles.ts";
import { ValidationScope } from "./validation-scope.ts";

export { BUILTINS, HOST_FIELDS } from "./check-templates.ts";

/** Text of the runbook shown as written: prose, a note, a documentation block, a heading. */
export interface ProseText {
  text: string;
  /** Where `text` starts in its file. */
  pos: SourcePos;
  /** The step or phase it belongs to; none: the runbook's introduction. */
  owner?: Phase | Step;
}

export interface ValidateOptions {
  /**
   * Prose, notes, documentation blocks and headings, checked for `{{ }}` that no declaration knows:
   * an operator must never be shown a literal `{{ typo }}`. Text between the braces that is not this
   * project's syntax (a Helm `{{ .Values.x }}`) stays text.
   */
  texts?: readonly ProseText[];
  /**
   * Blocks the parser refused (and reported), per step, read as far as they could be: their targets,
   * conditions and variables are checked like the step's own, and what they capture counts as known.
   */
  refused?: ReadonlyMap<Step, { actions: readonly Action[]; rollbacks: readonly Rollback[] }>;
}

/**
 * Whole-runbook checks that need every include resolved: targets, variables, ids. Collects every
 * problem so one `runbook check` shows them all, in the order of the checks below.
 */
export function validateRunbook(rb: Runbook, opts: ValidateOptions = {}): void {
  const scope = new ValidationScope(rb);
  checkGroupMembers(scope);
  scope.errors.push(...groupCycles(rb.groups));
  checkRoleVars(scope);
  checkVarDefaults(scope);
  checkPhasesAndSteps(scope, opts);
  scope.errors.push(...checkRollouts(rb));
  if (scope.errors.length > 0) throw new RunbookErrors(scope.errors);
}
