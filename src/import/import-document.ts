import { existsSync, statSync } from "node:fs";
import { basename, dirname, extname, relative, resolve } from "node:path";
import { RunbookError } from "../model/errors.ts";
import { addressVariables, directoryVariables } from "./addresses.ts";
import { documentUnits } from "./document-units.ts";
import { documentFrontMatter } from "./front-matter.ts";
import { parseRoleOptions } from "./machines.ts";
import type { Finding, ImportedAction, ImportedDoc, ImportedStep, StepPart } from "./model.ts";
import { checked } from "./read-back.ts";
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
