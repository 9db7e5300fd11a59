import { RunbookError, RunbookErrors } from "../model/errors.ts";
import {
  type Action,
  keepsGoing,
  type Phase,
  type Rollback,
  type Runbook,
  type SourcePos,
  type Step,
} from "../model/runbook.ts";
import { checkRollouts } from "./check-rollouts.ts";
import { parseCondition } from "./condition.ts";
import { misplacedValues } from "./shell-placements.ts";
import { didYouMean, listNames, nearest, type SuggestBudget } from "./suggest.ts";
import { scanTemplates, type TemplateExpr } from "./template.ts";

export const BUILTINS = ["host", "hosts", "runbook"] as const;
export const HOST_FIELDS = ["name", "address", "user", "port"] as const;

/**
 * Whole-runbook checks that need every include resolved: targets, variables, ids. Collects every
 * problem so one `runbook check` shows them all.
 */
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

export function validateRunbook(rb: Runbook, opts: ValidateOptions = {}): void {
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
  const isSelector = new Set(selectors);
  const budget: SuggestBudget = { left: SUGGEST_BUDGET };
  const unknownTarget = (name: string, where: string, pos: SourcePos) =>
    unknownTargetError(name, where, selectors, pos, budget);
  // Declared before any check runs: checkTemplate (used for defaults below) reads `captured`.
  const captured = new Set<string>();
  const stepIds = new Map<string, Heading>();
  const phaseIds = new Map<string, Heading>();

  for (const g of rb.groups) {
    for (const m of g.members) {
      if (!roles.has(m) && !groups.has(m)) {
        errors.push(unknownTarget(m, `group ${g.name}`, g.pos));
      }
    }
  }
  errors.push(...groupCycles(rb.groups));
  for (const r of rb.roles) {
    for (const name of Object.keys(r.vars)) {
      if (!vars.has(name)) {
        errors.push(
          new RunbookError(
            "undefined-variable",
            `role ${r.name} sets variable ${name}, which is not declared`,
            r.pos,
            didYouMean(name, vars.keys(), budget) ?? `declare it under vars: (${name}: { describe: "..." })`,
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
    syntax: "strict" | "prose" = "strict",
  ): void {
    const scan = scanTemplates(text, pos, syntax);
    const found = [...scan.errors];
    for (const expr of scan.exprs) {
      try {
        checkExpr(expr, localCaptures);
      } catch (e) {
        if (!(e instanceof RunbookError)) throw e;
        found.push(e);
      }
    }
    found.sort((a, b) => (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.col ?? 0) - (b.pos?.col ?? 0));
    for (const e of found) errors.push(mode === "at" ? new RunbookError(e.code, e.message, pos, e.hint) : e);
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
      if (!field || expr.path.length > 2 || !isSelector.has(field)) {
        throw unknownTarget(field ?? "", `{{ ${expr.source} }}`, expr.pos);
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
      const known = (function* () {
        yield* vars.keys();
        yield* captured;
        yield* BUILTINS;
      })();
      throw new RunbookError(
        "undefined-variable",
        `variable "${head}" is not declared`,
        expr.pos,
        didYouMean(head, known, budget) ??
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
            didYouMean(arg.path[0] ?? "", vars.keys(), budget) ??
              "declare it under vars:, or quote it if it is text",
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
      } else if (!isSelector.has(sel)) {
        throw unknownTarget(sel, "on=", pos);
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
          didYouMean(c.variable, vars.keys(), budget),
        );
      }
      if (decl.choices && !c.value.includes("{{") && !decl.choices.includes(c.value)) {
        throw new RunbookError(
          "bad-attribute",
          `when= compares ${c.variable} with "${c.value}", which is not one of its choices`,
          pos,
          didYouMean(c.value, decl.choices, budget) ?? `choices: ${listNames(decl.choices)}`,
        );
      }
    }
  }

  /** Prose texts by owner: checked where the owner's variables are known (captures of earlier steps). */
  const texts = new Map<Phase | Step | undefined, ProseText[]>();
  for (const t of opts.texts ?? []) {
    const list = texts.get(t.owner);
    if (list) list.push(t);
    else texts.set(t.owner, [t]);
  }
  const checkTexts = (owner: Phase | Step | undefined, local: Set<string>) => {
    for (const t of texts.get(owner) ?? []) checkTemplate(t.text, t.pos, local, "within", "prose");
  };
  checkTexts(undefined, new Set());

  for (const phase of rb.phases) {
    checkTexts(phase, new Set());
    const firstPhase = phaseIds.get(phase.id);
    if (firstPhase && phase.title !== "") {
      errors.push(duplicateId("phase", phase.id, phase, firstPhase));
    }
    if (!firstPhase) phaseIds.set(phase.id, phase);
    for (const step of phase.steps) {
      const first = stepIds.get(step.id);
      if (first) errors.push(duplicateId("step", step.id, step, first));
      else stepIds.set(step.id, step);
      const local = new Set<string>();
      const refused = opts.refused?.get(step);
      const byLine = (a: { pos: SourcePos }, b: { pos: SourcePos }) => a.pos.line - b.pos.line;
      const actions = refused ? [...step.actions, ...refused.actions].sort(byLine) : step.actions;
      const rollbacks = refused ? [...step.rollbacks, ...refused.rollbacks].sort(byLine) : step.rollbacks;
      for (const action of actions) {
        attempt(() => checkTargets(action.on, action.pos));
        attempt(() => checkWhen(action.when, action.pos));
        if (action.when?.includes("{{"))
          attempt(() => checkTemplate(action.when as string, action.pos, local, "at"));
        for (const [text, pos, mode] of actionTexts(action))
          attempt(() => checkTemplate(text, pos, local, mode));
        for (const [text, pos] of shellTexts(action)) attempt(() => checkPlacements(text, pos));
        if (action.kind === "shell" && action.capture) local.add(action.capture);
      }
      for (const rb2 of rollbacks) {
        attempt(() => checkTargets(rb2.on, rb2.pos));
        attempt(() => checkWhen(rb2.when, rb2.pos));
        if (rb2.when?.includes("{{")) attempt(() => checkTemplate(rb2.when as string, rb2.pos, local, "at"));
        attempt(() => checkTemplate(rb2.command, bodyPos(rb2.pos), local));
        if (rb2.as?.includes("{{")) attempt(() => checkTemplate(rb2.as as string, rb2.pos, local, "at"));
        attempt(() => checkPlacements(rb2.command, bodyPos(rb2.pos)));
      }
      // The step's prose may name what the step itself captures (shown as ⟨name⟩ until it runs).
      checkTexts(step, local);
      for (const c of local) captured.add(c);
      attempt(() => checkKeepGoing(step));
    }
  }
  errors.push(...checkRollouts(rb));
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

/** Comparisons that did-you-mean hints may make in one runbook (see SuggestBudget). */
const SUGGEST_BUDGET = 2_000_000;

function unknownTargetError(
  name: string,
  where: string,
  known: string[],
  pos: SourcePos,
  budget: SuggestBudget,
): RunbookError {
  const near = nearest(name, known, budget);
  return new RunbookError(
    "unknown-role",
    `role or group "${name}" in ${where} is not declared`,
    pos,
    near
      ? `did you mean "${near}"? (declared: ${listNames(known)})`
      : `declared: ${listNames(known)}; add it under roles: or groups:`,
  );
}

/** A phase or a step: its heading's text and where it stands. */
interface Heading {
  title: string;
  pos: SourcePos;
}

/**
 * An id written as {#id} that another heading has too (generated ids get a suffix instead: see
 * parse-runbook's assignIds). Both headings are named by their text.
 */
function duplicateId(what: string, id: string, here: Heading, first: Heading): RunbookError {
  const at = (p: SourcePos) => `${p.file.split("/").pop()}:${p.line}`;
  const sameHeading = first.pos.file === here.pos.file && first.pos.line === here.pos.line;
  return new RunbookError(
    "duplicate-id",
    sameHeading
      ? `${what} id "${id}" is used twice: the file with "${here.title}" is included twice`
      : `${what} id "${id}" is used twice: by "${here.title}" and by "${first.title}" (${at(first.pos)})`,
    here.pos,
    sameHeading
      ? `include it once, or remove the {#${id}} from its heading so that each inclusion gets an id of its own`
      : `end one of them with {#another-id}`,
  );
}

/**
 * Every group that contains itself, through its members, with the loop it is on. The groups' graph is
 * walked once, without recursion (Tarjan's strongly connected components): a loop of thousands of
 * groups costs linear time. Each group of a loop gets its own error, as long as loops are short.
 */
function groupCycles(groups: readonly { name: string; members: string[]; pos: SourcePos }[]): RunbookError[] {
  const byName = new Map(groups.map((g) => [g.name, g]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const component = new Map<string, number>();
  const components: string[][] = [];
  let counter = 0;
  for (const g of groups) {
    if (index.has(g.name)) continue;
    const work: { name: string; next: number }[] = [{ name: g.name, next: 0 }];
    index.set(g.name, counter);
    low.set(g.name, counter++);
    stack.push(g.name);
    onStack.add(g.name);
    while (work.length > 0) {
      const top = work[work.length - 1] as { name: string; next: number };
      const members = byName.get(top.name)?.members ?? [];
      if (top.next < members.length) {
        const m = members[top.next++] as string;
        if (!byName.has(m)) continue;
        if (!index.has(m)) {
          index.set(m, counter);
          low.set(m, counter++);
          stack.push(m);
          onStack.add(m);
          work.push({ name: m, next: 0 });
        } else if (onStack.has(m)) {
          low.set(top.name, Math.min(low.get(top.name) as number, index.get(m) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.name, Math.min(low.get(parent.name) as number, low.get(top.name) as number));
      if (low.get(top.name) === index.get(top.name)) {
        const members: string[] = [];
        for (;;) {
          const x = stack.pop() as string;
          onStack.delete(x);
          component.set(x, components.length);
          members.push(x);
          if (x === top.name) break;
        }
        components.push(members);
      }
    }
  }
  const errors: RunbookError[] = [];
  const reported = new Set<number>();
  for (const g of groups) {
    const c = component.get(g.name) as number;
    const size = components[c]?.length ?? 1;
    if (size === 1 && !g.members.includes(g.name)) continue;
    // A long loop is reported once, from its first group: one error per group would be quadratic.
    if (size > 16 && reported.has(c)) continue;
    reported.add(c);
    const path = loopFrom(g.name, byName, component);
    errors.push(
      new RunbookError("front-matter", `group ${g.name} contains itself (${path.join(" -> ")})`, g.pos),
    );
  }
  return errors;
}

/** The shortest way from a group back to itself, through groups of its component (breadth first). */
function loopFrom(
  start: string,
  byName: Map<string, { members: string[] }>,
  component: Map<string, number>,
): string[] {
  const c = component.get(start);
  const from = new Map<string, string>();
  const queue = [start];
  for (let q = 0; q < queue.length; q++) {
    const at = queue[q] as string;
    for (const m of byName.get(at)?.members ?? []) {
      if (component.get(m) !== c) continue;
      if (m === start) {
        const path = [start];
        for (let x: string | undefined = at; x !== undefined && x !== start; x = from.get(x)) path.push(x);
        path.push(start);
        return [path[0] as string, ...path.slice(1, -1).reverse(), start];
      }
      if (!from.has(m)) {
        from.set(m, at);
        queue.push(m);
      }
    }
  }
  return [start, start];
}
