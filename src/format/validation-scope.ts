import { RunbookError, RunbookErrors } from "../model/errors.ts";
import type { GroupDecl, Runbook, SourcePos, VarDecl } from "../model/runbook.ts";
import { listNames, nearest, type SuggestBudget } from "./suggest.ts";

/** Comparisons that did-you-mean hints may make in one runbook (see SuggestBudget). */
const SUGGEST_BUDGET = 2_000_000;

/** What the checks of one runbook share: its declarations, what is known so far, and every problem found. */
export class ValidationScope {
  readonly errors: RunbookError[] = [];
  readonly roles: Set<string>;
  readonly groups: Map<string, GroupDecl>;
  readonly vars: Map<string, VarDecl>;
  /** What `on=` and `{{ hosts.x }}` may name. */
  readonly selectors: string[];
  readonly isSelector: Set<string>;
  readonly budget: SuggestBudget = { left: SUGGEST_BUDGET };
  /** Names captured by the steps checked so far: later steps may use them. */
  readonly captured = new Set<string>();

  constructor(readonly rb: Runbook) {
    this.roles = new Set(rb.roles.map((r) => r.name));
    this.groups = new Map(rb.groups.map((g) => [g.name, g]));
    this.vars = new Map(rb.vars.map((v) => [v.name, v]));
    this.selectors = [...this.roles, ...this.groups.keys(), "all"];
    this.isSelector = new Set(this.selectors);
  }

  /** Runs a check that throws its problems; they are collected, so one check does not hide the next. */
  attempt(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (e instanceof RunbookError) this.errors.push(e);
      else if (e instanceof RunbookErrors) this.errors.push(...e.errors);
      else throw e;
    }
  }

  unknownTarget(name: string, where: string, pos: SourcePos): RunbookError {
    const known = this.selectors;
    const near = nearest(name, known, this.budget);
    return new RunbookError(
      "unknown-role",
      `role or group "${name}" in ${where} is not declared`,
      pos,
      near
        ? `did you mean "${near}"? (declared: ${listNames(known)})`
        : `declared: ${listNames(known)}; add it under roles: or groups:`,
    );
  }
}
