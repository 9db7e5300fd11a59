import { parseTemplate, type TemplatePart } from "../format/template.ts";
import type { SourcePos } from "../model/runbook.ts";
import type { HostScope } from "./scope.ts";

/**
 * Prose shows the values a reader would otherwise look up: a variable is filled in where every machine
 * of the step has the same value, and left as written where they differ (the card and the plan show
 * each machine's own command).
 */
export function renderProse(text: string, scopes: HostScope[], pos: SourcePos): string {
  if (!text.includes("{{") || scopes.length === 0) return text;
  let parts: TemplatePart[];
  try {
    parts = parseTemplate(text, pos);
  } catch {
    return text;
  }
  return parts
    .map((part) => {
      if (part.kind === "text") return part.text;
      const whole = `{{ ${part.expr.source} }}`;
      const values = new Set<string>();
      for (const scope of scopes) {
        try {
          const r = scope.render(whole, "text", part.expr.pos);
          if (r.deferred.length > 0) return whole;
          values.add(r.text);
        } catch {
          return whole;
        }
      }
      return values.size === 1 ? ([...values][0] as string) : whole;
    })
    .join("");
}
