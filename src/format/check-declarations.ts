import { RunbookError } from "../model/errors.ts";
import { checkTemplate } from "./check-templates.ts";
import { didYouMean } from "./suggest.ts";
import type { ValidationScope } from "./validation-scope.ts";

/** A group's members are declared roles or groups. */
export function checkGroupMembers(scope: ValidationScope): void {
  for (const g of scope.rb.groups) {
    for (const m of g.members) {
      if (!scope.roles.has(m) && !scope.groups.has(m)) {
        scope.errors.push(scope.unknownTarget(m, `group ${g.name}`, g.pos));
      }
    }
  }
}

/** A role sets only declared variables. */
export function checkRoleVars(scope: ValidationScope): void {
  for (const r of scope.rb.roles) {
    for (const name of Object.keys(r.vars)) {
      if (!scope.vars.has(name)) {
        scope.errors.push(
          new RunbookError(
            "undefined-variable",
            `role ${r.name} sets variable ${name}, which is not declared`,
            r.pos,
            didYouMean(name, scope.vars.keys(), scope.budget) ??
              `declare it under vars: (${name}: { describe: "..." })`,
          ),
        );
      }
    }
  }
}

/** A variable's default is one of its choices, and its `{{ }}` name what is known before any step. */
export function checkVarDefaults(scope: ValidationScope): void {
  for (const v of scope.rb.vars) {
    if (v.choices && v.default !== undefined && !v.choices.includes(String(v.default))) {
      scope.errors.push(
        new RunbookError(
          "bad-variable",
          `default of ${v.name} is not one of its choices (${v.choices.join(", ")})`,
          v.pos,
        ),
      );
    }
    if (v.default !== undefined)
      scope.attempt(() => checkTemplate(scope, String(v.default), v.pos, new Set(), "at"));
  }
}
