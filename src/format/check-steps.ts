import type { Action, Phase, Rollback, SourcePos, Step } from "../model/runbook.ts";
import { checkAction, checkKeepGoing, checkRollback } from "./check-actions.ts";
import { checkTemplate } from "./check-templates.ts";
import { duplicateId, type Heading } from "./duplicate-ids.ts";
import type { ProseText, ValidateOptions } from "./validate.ts";
import type { ValidationScope } from "./validation-scope.ts";

type Owner = Phase | Step | undefined;

/**
 * The phases and steps in document order, so that each step's templates know what earlier steps capture:
 * ids, actions and rollbacks (with the blocks the parser refused), prose, keep-going.
 */
export function checkPhasesAndSteps(scope: ValidationScope, opts: ValidateOptions): void {
  const texts = textsByOwner(opts.texts ?? []);
  const checkTexts = (owner: Owner, local: Set<string>) => {
    for (const t of texts.get(owner) ?? []) checkTemplate(scope, t.text, t.pos, local, "within", "prose");
  };
  const stepIds = new Map<string, Heading>();
  const phaseIds = new Map<string, Heading>();
  checkTexts(undefined, new Set());
  for (const phase of scope.rb.phases) {
    checkTexts(phase, new Set());
    const firstPhase = phaseIds.get(phase.id);
    if (firstPhase && phase.title !== "") {
      scope.errors.push(duplicateId("phase", phase.id, phase, firstPhase));
    }
    if (!firstPhase) phaseIds.set(phase.id, phase);
    for (const step of phase.steps) {
      const first = stepIds.get(step.id);
      if (first) scope.errors.push(duplicateId("step", step.id, step, first));
      else stepIds.set(step.id, step);
      const local = checkBlocks(scope, step, opts.refused?.get(step));
      // The step's prose may name what the step itself captures (shown as ⟨name⟩ until it runs).
      checkTexts(step, local);
      for (const c of local) scope.captured.add(c);
      scope.attempt(() => checkKeepGoing(step));
    }
  }
}

/** Prose texts by owner: checked where the owner's variables are known (captures of earlier steps). */
function textsByOwner(all: readonly ProseText[]): Map<Owner, ProseText[]> {
  const texts = new Map<Owner, ProseText[]>();
  for (const t of all) {
    const list = texts.get(t.owner);
    if (list) list.push(t);
    else texts.set(t.owner, [t]);
  }
  return texts;
}

/** A step's actions, then its rollbacks, refused blocks among them by line; returns what the step captures. */
function checkBlocks(
  scope: ValidationScope,
  step: Step,
  refused: { actions: readonly Action[]; rollbacks: readonly Rollback[] } | undefined,
): Set<string> {
  const local = new Set<string>();
  const byLine = (a: { pos: SourcePos }, b: { pos: SourcePos }) => a.pos.line - b.pos.line;
  const actions = refused ? [...step.actions, ...refused.actions].sort(byLine) : step.actions;
  const rollbacks = refused ? [...step.rollbacks, ...refused.rollbacks].sort(byLine) : step.rollbacks;
  for (const action of actions) checkAction(scope, action, local);
  for (const rb of rollbacks) checkRollback(scope, rb, local);
  return local;
}
