import { RunbookError } from "../model/errors.ts";
import type { SourcePos } from "../model/runbook.ts";

/** `a == 'x' && b != 'y' || c == 'z'`: OR of ANDs of comparisons, the whole grammar of `when=`. */
export interface Comparison {
  variable: string;
  op: "==" | "!=";
  value: string;
}

export type Condition = Comparison[][];

const COMPARISON = /^\s*([a-z_][a-z0-9_]*)\s*(==|!=)\s*(?:'([^']*)'|"([^"]*)"|([A-Za-z0-9_.-]+))\s*$/;

export function parseCondition(text: string, pos: SourcePos): Condition {
  return text.split("||").map((alt) =>
    alt.split("&&").map((part) => {
      const m = COMPARISON.exec(part);
      if (!m?.[1] || !m[2]) {
        throw new RunbookError(
          "bad-attribute",
          `cannot read the condition ${JSON.stringify(part.trim())} in when=`,
          pos,
          "write when=\"variable == 'value'\" (also !=, &&, ||)",
        );
      }
      return { variable: m[1], op: m[2] as "==" | "!=", value: m[3] ?? m[4] ?? m[5] ?? "" };
    }),
  );
}

export function conditionVariables(cond: Condition): string[] {
  return cond.flat().map((c) => c.variable);
}

export function evaluateCondition(cond: Condition, lookup: (name: string) => string): boolean {
  return cond.some((all) => all.every((c) => (lookup(c.variable) === c.value) === (c.op === "==")));
}
