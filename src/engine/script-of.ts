import { randomBytes } from "node:crypto";
import type { ShellRun } from "../model/plan.ts";
import { DEFERRED } from "../model/plan.ts";
import { shellQuote } from "../util/shell-quote.ts";

/** A value a script needs at run time (a captured value, a secret), or undefined when none is known. */
export type LateValue = (name: string) => string | undefined;

export class MissingLateValue extends Error {
  override readonly name = "MissingLateValue";
  constructor(readonly variable: string) {
    super(
      `${variable} has no value on this machine: the step that captures it did not run here, or the secret was not given`,
    );
  }
}

/**
 * The script that runs: one line (the not_applicable helper and the assignments, quoted here), then
 * the planned script, whose values are expansions of those variables. That line is the script's first
 * line too, so the line numbers in bash's own error messages stay the runbook's.
 */
/**
 * What a command calls to say the step does not apply to this machine (nothing to check there):
 * `not_applicable "no broker configured on this machine"`. It ends the command; the runner reports the
 * machine as not applicable (never as ok), and a run in which nothing applied anywhere is not a pass.
 * The marker and the exit code together say it, so no program's own exit code can be mistaken for it.
 */
export const NOT_APPLICABLE_EXIT = 113;
export const NOT_APPLICABLE_MARK = "\x1erb-not-applicable\x1e";
const NOT_APPLICABLE_FN = `not_applicable() { printf '\\036rb-not-applicable\\036%s\\n' "$*" >&2; exit ${NOT_APPLICABLE_EXIT}; }`;

export function scriptOf(run: ShellRun, late: LateValue): string {
  const assigns = Object.entries(run.values).map(([name, value]) => `${name}=${shellQuote(value)}`);
  for (const [name, variable] of Object.entries(run.late)) {
    const value = late(variable);
    if (value === undefined) throw new MissingLateValue(variable);
    assigns.push(`${name}=${shellQuote(value)}`);
  }
  // Only raw values of late variables stand in the script as text, on purpose.
  const script = run.script.replace(DEFERRED, (_whole, name: string) => {
    const value = late(name);
    if (value === undefined) throw new MissingLateValue(name);
    return value;
  });
  return `${NOT_APPLICABLE_FN}; ${assigns.length === 0 ? "" : `${assigns.join(" ")}; `}${script}`;
}

/**
 * `script` as the text of a here-document that bash reads as a script on file descriptor 3: its
 * delimiter is random and checked not to occur as a line of the script.
 */
export function hereDocument(script: string): { open: string; body: string } {
  for (;;) {
    const delim = `__RB_EOF_${randomBytes(8).toString("hex")}`;
    if (script.split("\n").includes(delim)) continue;
    const body = script.endsWith("\n") ? script : `${script}\n`;
    return { open: `3<<'${delim}'`, body: `${body}${delim}\n` };
  }
}
