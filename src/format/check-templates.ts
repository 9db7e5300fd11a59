import { RunbookError } from "../model/errors.ts";
import type { SourcePos } from "../model/runbook.ts";
import { didYouMean } from "./suggest.ts";
import { scanTemplates, type TemplateExpr } from "./template.ts";
import type { ValidationScope } from "./validation-scope.ts";

export const BUILTINS = ["host", "hosts", "runbook"] as const;
export const HOST_FIELDS = ["name", "address", "user", "port"] as const;

/**
 * Every `{{ }}` of `text` must name something known: a declared variable, a capture of an earlier step
 * (or one of `localCaptures`), or a builtin. `within`: `pos` is where `text` starts, so errors point
 * inside it. `at`: the text is not in the file as written there (an attribute value, a YAML default), so
 * errors point at `pos` itself.
 */
export function checkTemplate(
  scope: ValidationScope,
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
      checkHead(scope, expr, localCaptures);
      checkFilterArgs(scope, expr);
    } catch (e) {
      if (!(e instanceof RunbookError)) throw e;
      found.push(e);
    }
  }
  found.sort((a, b) => (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.col ?? 0) - (b.pos?.col ?? 0));
  for (const e of found)
    scope.errors.push(mode === "at" ? new RunbookError(e.code, e.message, pos, e.hint) : e);
}

/** What the expression names: `host.<field>`, `hosts.<role>`, `runbook.title`, or a variable. */
function checkHead(scope: ValidationScope, expr: TemplateExpr, localCaptures: Set<string>): void {
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
    if (!field || expr.path.length > 2 || !scope.isSelector.has(field)) {
      throw scope.unknownTarget(field ?? "", `{{ ${expr.source} }}`, expr.pos);
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
  } else if (!scope.vars.has(head) && !scope.captured.has(head) && !localCaptures.has(head)) {
    throw undeclared(scope, head, expr.pos);
  }
}

function undeclared(scope: ValidationScope, name: string, pos: SourcePos): RunbookError {
  const known = (function* () {
    yield* scope.vars.keys();
    yield* scope.captured;
    yield* BUILTINS;
  })();
  return new RunbookError(
    "undefined-variable",
    `variable "${name}" is not declared`,
    pos,
    didYouMean(name, known, scope.budget) ??
      `declare it in the front matter under vars:, or capture it in an earlier step`,
  );
}

/** A filter's argument that is a name (not quoted text) must be a declared variable. */
function checkFilterArgs(scope: ValidationScope, expr: TemplateExpr): void {
  for (const f of expr.filters) {
    for (const arg of f.args) {
      if (arg.kind === "ref" && !scope.vars.has(arg.path[0] ?? "")) {
        throw new RunbookError(
          "undefined-variable",
          `variable "${arg.path.join(".")}" in {{ ${expr.source} }} is not declared`,
          expr.pos,
          didYouMean(arg.path[0] ?? "", scope.vars.keys(), scope.budget) ??
            "declare it under vars:, or quote it if it is text",
        );
      }
    }
  }
}
