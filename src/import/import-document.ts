import { existsSync, statSync } from "node:fs";
import { basename, dirname, extname, relative, resolve } from "node:path";
import { readFromDisk } from "../format/load-runbook.ts";
import { parseRunbook } from "../format/parse-runbook.ts";
import { RunbookError, RunbookErrors } from "../model/errors.ts";
import { addressVariables, directoryVariables } from "./addresses.ts";
import { documentUnits } from "./document-units.ts";
import { documentFrontMatter } from "./front-matter.ts";
import { parseRoleOptions } from "./machines.ts";
import type { Finding, ImportedAction, ImportedDoc, ImportedStep, StepPart } from "./model.ts";
import { type Rendered, renderRunbook } from "./render.ts";
import { Walk } from "./walk.ts";

export { formatFindings } from "./findings.ts";
export type { Finding } from "./model.ts";

export interface ImportOptions {
  /** Where the runbook will be written: includes are written relative to it (default: beside the document). */
  output?: string;
  /** `LABEL=role`: the document's machine `LABEL` (or the role the importer would make) plays `role`. */
  roles?: string[];
  /** Whether a file exists (default: the file system). */
  exists?(path: string): boolean;
}

export interface ImportResult {
  /** The runbook, which the project's checker accepts. */
  runbook: string;
  /** What was inferred and what was not, each at its line of the document. */
  findings: Finding[];
}

/**
 * A document people follow by hand (CommonMark, a GitBook page, a README) into a runbook for a person
 * to review. Nothing is run. Throws RunbookError "import" when no runbook the checker accepts can be
 * written (the reason is the checker's), "usage" for a malformed --role.
 */
export function importDocument(file: string, text: string, opts: ImportOptions = {}): ImportResult {
  const path = resolve(file);
  const output = resolve(opts.output ?? path.replace(/(\.md)?$/, ".runbook.md"));
  let roles: ReturnType<typeof parseRoleOptions>;
  try {
    roles = parseRoleOptions(opts.roles ?? []);
  } catch (e) {
    throw new RunbookError("usage", (e as Error).message);
  }
  const { frontMatter, units } = documentUnits(path, text);
  const findings: Finding[] = [];
  const fm = documentFrontMatter(frontMatter, findings);
  const exists = opts.exists ?? ((p: string) => existsSync(p) && statSync(p).isFile());
  const walk = new Walk({
    units,
    roles,
    includePath: (page) => {
      const target = resolve(dirname(path), page);
      if (target === path || target === output || !exists(target) || page.includes('"')) return undefined;
      return relative(dirname(output), target);
    },
  });
  const doc = walk.run();
  findings.push(...walk.findings);
  doc.title = fm.title ?? (doc.title || basename(path, extname(path)));
  doc.summary = fm.summary;
  const actions = actionsOf(doc);
  doc.vars = addressVariables(actions, findings);
  doc.vars.push(...directoryVariables(actions, findings, new Set(doc.vars.map((v) => v.name))));
  placeUnnamed(doc, actions, findings, roles.get("host") ?? "host");
  markManualSteps(doc, findings);
  return { runbook: checked(doc, output, findings), findings };
}

function stepsOf(doc: ImportedDoc): ImportedStep[] {
  return [...doc.looseSteps, ...doc.phases.flatMap((p) => p.steps)];
}

function allParts(doc: ImportedDoc): StepPart[] {
  return [...doc.intro, ...doc.phases.flatMap((p) => p.prose), ...stepsOf(doc).flatMap((s) => s.parts)];
}

function actionsOf(doc: ImportedDoc): ImportedAction[] {
  return allParts(doc).flatMap((p) => (p.kind === "action" ? [p.action] : []));
}

/**
 * A command whose machine no text names runs on every machine of the runbook; when the document names
 * none at all, on one role, `host` (or what `--role host=…` maps it to).
 */
function placeUnnamed(doc: ImportedDoc, actions: ImportedAction[], findings: Finding[], host: string): void {
  const unnamed = actions.filter((a) => a.on === undefined);
  if (unnamed.length === 0) return;
  if (doc.roles.length === 0) doc.defaultRole = host;
  for (const a of unnamed) {
    findings.push({
      line: a.line,
      kind: "inferred",
      text: `no machine named for this command: on=${doc.defaultRole ?? "all"}`,
    });
  }
}

/** A step with nothing to run says why, so the operator knows it is theirs to do. */
function markManualSteps(doc: ImportedDoc, findings: Finding[]): void {
  for (const step of stepsOf(doc)) {
    if (step.parts.some((p) => p.kind === "action" || (p.kind === "note" && p.level === "warning"))) continue;
    const code = step.parts.some((p) => p.kind === "prose" && /^(`{3,}|~{3,})/m.test(p.text));
    const why = code
      ? "its code is not a shell command (a configuration, output or another language): nothing to run"
      : "the document gives no command here";
    step.parts.unshift({
      kind: "note",
      level: "info",
      text: `Manual step: ${why}. Do it by hand, then go on.`,
    });
    findings.push({ line: step.line, kind: "manual", text: `"${step.title}": ${why}; a manual step` });
  }
}

/**
 * Renders the runbook and reads it back with the project's parser. An action the checker refuses gets
 * its literal addresses back, then becomes documentation with the checker's reason; an include it
 * refuses becomes a link. Anything else refused ends the import with the checker's words.
 */
function checked(doc: ImportedDoc, output: string, findings: Finding[]): string {
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
