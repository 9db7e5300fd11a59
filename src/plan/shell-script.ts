import { type Placement, placementError, scanPlacements, slot } from "../format/shell-placements.ts";
import { parseTemplate, type TemplateExpr } from "../format/template.ts";
import type { ShellRun } from "../model/plan.ts";
import { deferredToken } from "../model/plan.ts";
import type { SourcePos } from "../model/runbook.ts";
import { shellQuote } from "../util/shell-quote.ts";
import type { ExprValue } from "./scope.ts";

/** Where shell text is compiled: the values of one machine, by expression. */
export interface ExprValues {
  exprValue(expr: TemplateExpr): ExprValue;
}

export interface CompiledShell {
  /** What the operator reviews: each value filled in, quoted for where it stands. */
  display: string;
  /** What runs: each value an expansion of a variable the runner's preamble sets (see ShellRun). */
  run: ShellRun;
  /** Names bound at run time (captured values, secrets). */
  deferred: string[];
}

/** Preamble variables: a prefix no runbook is expected to use for its own variables. */
const PREFIX = "__rb_";

/**
 * Compiles shell text for one machine. A value never becomes shell syntax: `{{ x }}` turns into
 * `"${__rb_x}"` (or `${__rb_x}` inside double quotes and here-documents), and the runner assigns
 * `__rb_x` in a preamble it quotes itself. Only raw values are spliced. A placement where no expansion
 * can carry the value (single quotes, arithmetic, code for another parser) is an error; `runbook check`
 * reports the same.
 */
export function compileShell(text: string, pos: SourcePos, values: ExprValues): CompiledShell {
  const parts = parseTemplate(text, pos);
  const exprs: TemplateExpr[] = [];
  const marked = parts.map((p) => (p.kind === "text" ? p.text : slot(exprs.push(p.expr) - 1))).join("");
  const placements = scanPlacements(marked, exprs.length);
  const names = new Names();
  const run: ShellRun = { script: "", values: {}, late: {} };
  const deferred: string[] = [];
  let display = "";
  let k = 0;
  for (const part of parts) {
    if (part.kind === "text") {
      run.script += part.text;
      display += part.text;
      continue;
    }
    const placement = placements[k++] as Placement;
    const v = values.exprValue(part.expr);
    if (v.raw) {
      const spliced = v.kind === "late" ? deferredToken(v.name, true) : v.text;
      if (v.kind === "late" && !deferred.includes(v.name)) deferred.push(v.name);
      run.script += spliced;
      display += spliced;
      continue;
    }
    if (placement.kind === "refused") throw placementError(part.expr, placement);
    const quoted = placement.kind === "quoted";
    if (v.kind === "late") {
      const name = names.late(v.name);
      run.late[name] = v.name;
      if (!deferred.includes(v.name)) deferred.push(v.name);
      run.script += expansion(name, quoted);
      display += deferredToken(v.name, false);
      continue;
    }
    const name = names.value(part.expr, v.text);
    run.values[name] = v.text;
    run.script += expansion(name, quoted);
    display += quoted ? inQuotes(v.text, placement.heredoc ?? false) : shellQuote(v.text);
  }
  return { display, run, deferred };
}

function expansion(name: string, quoted: boolean): string {
  return quoted ? `\${${name}}` : `"\${${name}}"`;
}

/** How a value reads inside double quotes (or an unquoted here-document, where " is plain). */
function inQuotes(value: string, heredoc: boolean): string {
  return value.replace(heredoc ? /[\\$`]/g : /[\\$`"]/g, "\\$&");
}

/** Preamble variable names: readable (`__rb_rocketmq_home`), one per distinct value. */
class Names {
  private readonly byKey = new Map<string, string>();
  private readonly used = new Set<string>();

  value(expr: TemplateExpr, text: string): string {
    const key = `${expr.source}\u0000${text}`;
    const known = this.byKey.get(key);
    if (known) return known;
    const name = this.fresh(expr.path.join("_"));
    this.byKey.set(key, name);
    return name;
  }

  late(name: string): string {
    const key = `\u0001${name}`;
    const known = this.byKey.get(key);
    if (known) return known;
    const fresh = this.fresh(name);
    this.byKey.set(key, fresh);
    return fresh;
  }

  private fresh(base: string): string {
    const clean = PREFIX + base.replace(/[^A-Za-z0-9_]/g, "_");
    let name = clean;
    for (let i = 2; this.used.has(name); i++) name = `${clean}_${i}`;
    this.used.add(name);
    return name;
  }
}
