import { readFromDisk } from "../format/load-runbook.ts";
import { parseRunbook } from "../format/parse-runbook.ts";
import { RunbookError, RunbookErrors } from "../model/errors.ts";
import type { Finding, ImportedDoc, ImportedStep, StepPart } from "./model.ts";
import { type Rendered, renderRunbook } from "./render.ts";

function stepsOf(doc: ImportedDoc): ImportedStep[] {
  return [...doc.looseSteps, ...doc.phases.flatMap((p) => p.steps)];
}

/**
 * Renders the runbook and reads it back with the project's parser. An action the checker refuses gets
 * its literal addresses back, then becomes documentation with the checker's reason; an include it
 * refuses becomes a link. Anything else refused ends the import with the checker's words.
 */
export function checked(doc: ImportedDoc, output: string, findings: Finding[]): string {
  for (let attempt = 0; ; attempt++) {
    const rendered = renderRunbook(doc);
    const errors = problems(rendered.text, output);
    if (errors.length === 0) return rendered.text;
    if (attempt >= 8 || !repair(doc, rendered, errors, output, findings)) {
      throw new RunbookError(
        "import",
        `the runbook made of this document is not one the checker accepts:\n${errors.map((e) => `  ${e.format()}`).join("\n")}`,
        undefined,
        "please report it with the document; meanwhile fix the document's Markdown there",
      );
    }
  }
}

function problems(text: string, output: string): RunbookError[] {
  try {
    parseRunbook(output, (p) => (p === output ? text : readFromDisk(p)));
    return [];
  } catch (e) {
    if (e instanceof RunbookErrors) return e.errors;
    if (e instanceof RunbookError) return [e];
    throw e;
  }
}

function repair(
  doc: ImportedDoc,
  rendered: Rendered,
  errors: RunbookError[],
  output: string,
  findings: Finding[],
): boolean {
  let changed = false;
  for (const e of errors) {
    if (e.pos && e.pos.file !== output) changed = dropIncludes(doc, findings) || changed;
    const line = e.pos?.line ?? -1;
    const hit = rendered.actions.find((r) => r.from <= line && line <= r.to)?.action;
    if (!hit || hit.refused) continue;
    if (hit.literal !== undefined) {
      hit.command = hit.literal;
      hit.literal = undefined;
      findings.push({ line: hit.line, kind: "manual", text: `address left literal here: ${e.message}` });
    } else {
      hit.refused = e.message;
      findings.push({
        line: hit.line,
        kind: "manual",
        text: `not a command the checker accepts (${e.message}); left as a manual step`,
      });
    }
    changed = true;
  }
  return changed;
}

function dropIncludes(doc: ImportedDoc, findings: Finding[]): boolean {
  let changed = false;
  const fix = (list: StepPart[]) =>
    list.forEach((p, i) => {
      if (p.kind !== "include") return;
      list[i] = {
        kind: "note",
        level: "info",
        text: `See [${p.path}](${p.path}) (not included: it is not a runbook fragment the checker accepts; import it too).`,
      };
      findings.push({
        line: 1,
        kind: "manual",
        text: `include ${p.path} refused by the checker, kept as a link`,
      });
      changed = true;
    });
  fix(doc.intro);
  for (const ph of doc.phases) fix(ph.prose);
  for (const s of stepsOf(doc)) fix(s.parts);
  return changed;
}
