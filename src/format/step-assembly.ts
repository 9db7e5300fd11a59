import type { Phase, SourcePos, Step } from "../model/runbook.ts";
import { readCodeBlock } from "./actions.ts";
import type { FileWalk } from "./file-walk.ts";
import { headingId, slug } from "./heading-ids.ts";
import { readAlert } from "./hints.ts";
import type { Block } from "./markdown-source.ts";

type BlockOf<K extends Block["kind"]> = Extract<Block, { kind: K }>;

/** A block of the file into the runbook: a heading opens a phase or a step, a code block is an action. */
export function readBlock(walk: FileWalk, node: Block): void {
  switch (node.kind) {
    case "heading":
      return readHeading(walk, node);
    case "code":
      return readCode(walk, node);
    case "blockquote":
      return readQuote(walk, node);
    default:
      for (const e of node.nested) walk.report(e);
      walk.shown(node.source, node.pos);
      walk.addProse(node.source);
  }
}

/** `#` opens a phase, `##` a step; deeper headings are prose. */
function readHeading(walk: FileWalk, node: BlockOf<"heading">): void {
  const { pos, source } = node;
  if (walk.hint) {
    // Reported; the heading is still read (the hint goes on to its {% endhint %}).
    walk.problem(
      "bad-attribute",
      "a heading inside a hint",
      pos,
      "close the hint with {% endhint %} before the heading",
    );
  }
  if (node.depth > 2) {
    walk.shown(source, pos);
    walk.addProse(source);
    return;
  }
  const { id, title } = headingId(node.title, source, pos, walk.report);
  if (node.depth === 1) openPhase(walk, id, title, pos);
  else openStep(walk, id, title, pos);
  walk.shown(source, pos, walk.step ?? walk.phase);
}

function openPhase(walk: FileWalk, id: string | undefined, title: string, pos: SourcePos): void {
  const phase: Phase = {
    id: id ?? slug(title, `phase-${walk.out.phases.length + 1}`),
    title,
    prose: "",
    steps: [],
    pos,
  };
  if (id === undefined) walk.ctx.generated.add(phase);
  walk.out.phases.push(phase);
  walk.phase = phase;
  walk.step = undefined;
}

function openStep(walk: FileWalk, id: string | undefined, title: string, pos: SourcePos): void {
  const step: Step = {
    id: id ?? slug(title, `step-${pos.line}`),
    title,
    prose: "",
    notes: [],
    actions: [],
    rollbacks: [],
    pos,
  };
  if (id === undefined) walk.ctx.generated.add(step);
  walk.addSteps([step]);
  walk.step = step;
}

/** A code block with a runbook's attributes is an action (or rollback) of the current step; others are prose. */
function readCode(walk: FileWalk, node: BlockOf<"code">): void {
  const { pos, source } = node;
  const unclosed = walk.unclosed.has(pos.line);
  const read = unclosed ? undefined : readCodeBlock(walk.path, walk.md.lines, node);
  if (!read) {
    // A documentation block; not one never closed (the rest of the file, already reported).
    if (!unclosed) walk.shown(source, pos);
    walk.addProse(source);
    return;
  }
  const step = walk.step;
  if (!step) {
    walk.problem(
      "bad-attribute",
      "this action is not inside a step",
      pos,
      "put a ## heading (the step) above it",
    );
    return;
  }
  if (walk.hint) {
    walk.problem("bad-attribute", "an action inside a hint", pos, "move the block out of the {% hint %}");
    return;
  }
  for (const e of read.errors) walk.report(e);
  const block = read.block;
  if (!block) {
    const partial = read.partial;
    if (partial) {
      const refused = walk.ctx.refused.get(step) ?? { actions: [], rollbacks: [] };
      walk.ctx.refused.set(step, refused);
      if (partial.kind === "action") refused.actions.push(partial.action);
      else refused.rollbacks.push(partial.rollback);
    }
    return;
  }
  if (block.kind === "rollback") {
    step.rollbacks.push(block.rollback);
    return;
  }
  step.actions.push(block.action);
  if (block.rollout && step.rollout) {
    walk.problem(
      "bad-attribute",
      `the rollout of step ${step.id} is already given on line ${step.rollout.pos.line}`,
      block.rollout.pos,
      "write serial=, max-fail=, pause= and gate= on one action of the step",
    );
  } else if (block.rollout) step.rollout = block.rollout;
}

function readQuote(walk: FileWalk, node: BlockOf<"blockquote">): void {
  for (const e of node.nested) walk.report(e);
  walk.shown(node.source, node.pos);
  const alert = readAlert(node.source, node.pos);
  if (alert) walk.addNote(alert);
  else walk.addProse(node.source);
}
