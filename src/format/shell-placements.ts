/**
 * Where each `{{ }}` of a shell text stands, as bash will read it: unquoted, inside double quotes, in a
 * here-document, inside single quotes, in arithmetic, or in text that another program parses as code.
 *
 * The planner never splices a value into shell text. It turns `{{ x }}` into a parameter expansion of a
 * variable that a preamble it writes itself assigns (`"${__rb_x}"` unquoted, `${__rb_x}` inside double
 * quotes), and bash never parses the result of an expansion again. This scan only decides which of the
 * two forms fits, and refuses the places where no expansion is expanded or where the text is code for
 * yet another parser. A mistake here can cost word splitting, never code: that is why expansions, not
 * escaping, carry values.
 *
 * The scan lives in `shell/`: `scanner.ts` (the pass and its quote contexts), `unquoted.ts` (a command's
 * characters), `words.ts` (words and commands), `heredocs.ts`, `command-reader.ts` (which commands read
 * a word as code, with `command-names.ts`), `placement.ts` (the placements and why one is refused).
 */

import { RunbookError } from "../model/errors.ts";
import type { SourcePos } from "../model/runbook.ts";
import { type Refused, slot } from "./shell/placement.ts";
import { scanPlacements } from "./shell/scanner.ts";
import { parseTemplate, type TemplateExpr } from "./template.ts";

export { type Placement, SLOT_CLOSE, SLOT_OPEN, slot } from "./shell/placement.ts";
export { scanPlacements } from "./shell/scanner.ts";

/** The error `runbook check` and the planner give for a value placed where it cannot be carried. */
export function placementError(expr: TemplateExpr, p: Refused): RunbookError {
  return new RunbookError(
    "bad-template",
    `{{ ${expr.source} }} cannot be filled in here: ${p.why}`,
    expr.pos,
    p.hint,
  );
}

/**
 * Every `{{ }}` of a shell text (a command, a rollback, a wait-cmd) placed where no value can be
 * carried, as errors; `raw(expr)` says which are spliced on purpose and so exempt.
 */
export function misplacedValues(
  text: string,
  pos: SourcePos,
  raw: (e: TemplateExpr) => boolean,
): RunbookError[] {
  const exprs: TemplateExpr[] = [];
  let parts: ReturnType<typeof parseTemplate>;
  try {
    parts = parseTemplate(text, pos);
  } catch {
    return []; // the template itself is wrong: that is reported where templates are checked
  }
  const marked = parts.map((p) => (p.kind === "text" ? p.text : slot(exprs.push(p.expr) - 1))).join("");
  const errors: RunbookError[] = [];
  scanPlacements(marked, exprs.length).forEach((p, i) => {
    const expr = exprs[i] as TemplateExpr;
    if (p.kind === "refused" && !raw(expr)) errors.push(placementError(expr, p));
  });
  return errors;
}
