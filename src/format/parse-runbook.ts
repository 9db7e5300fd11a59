import { resolve } from "node:path";
import { RunbookError, RunbookErrors } from "../model/errors.ts";
import type { Phase, Runbook, RunbookWarning } from "../model/runbook.ts";
import { type Context, parseFile, type ReadFile } from "./file-walk.ts";
import { assignIds } from "./heading-ids.ts";
import { validateRunbook } from "./validate.ts";

export type { ReadFile } from "./file-walk.ts";
export { slug } from "./heading-ids.ts";

/**
 * Parses a runbook and every file it includes into plain data, then checks it as a whole.
 * Pure apart from `read`, which the caller supplies (the CLI passes the file system).
 *
 * Every problem is reported in one pass: a block, tag or declaration with a mistake is reported and
 * skipped, and reading goes on. One problem is thrown as a RunbookError, several as RunbookErrors,
 * in document order, followed by those of the whole-runbook checks (validate.ts) when the
 * declarations could all be read.
 */
export function parseRunbook(file: string, read: ReadFile): Runbook {
  const path = resolve(file);
  const ctx: Context = {
    read,
    sources: [],
    errors: [],
    warnings: [],
    refused: new Map(),
    incomplete: false,
    generated: new WeakSet(),
    texts: [],
  };
  const content = parseFile(path, ctx, []);
  if (!content.fm.title && !content.fm.titleGiven && !ctx.incomplete) {
    ctx.errors.unshift(
      new RunbookError(
        "front-matter",
        "this file has no title in its front matter",
        { file: path, line: 1, col: 1 },
        "a runbook starts with ---, title: ..., --- (a fragment is checked through the runbooks that include it)",
      ),
    );
  }
  const phases = [...content.phases];
  if (content.looseSteps.length > 0) {
    phases.unshift({
      id: "steps",
      title: "",
      prose: "",
      steps: content.looseSteps,
      pos: content.looseSteps[0]?.pos ?? { file: path, line: 1, col: 1 },
    });
    ctx.generated.add(phases[0] as Phase);
  }
  assignIds(phases, ctx.generated);
  const runbook: Runbook = {
    file: path,
    title: content.fm.title ?? "",
    summary: content.fm.summary,
    intro: content.intro.trim(),
    confirm: content.fm.confirm,
    roles: content.fm.roles,
    groups: content.fm.groups,
    vars: content.fm.vars,
    phases,
    sources: ctx.sources,
  };
  const errors = ctx.errors;
  if (!ctx.incomplete) {
    try {
      const texts = ctx.texts.map((t) => (t.owner === content.introOwner ? { ...t, owner: undefined } : t));
      validateRunbook(runbook, { refused: ctx.refused, texts });
    } catch (e) {
      if (!(e instanceof RunbookErrors)) throw e;
      if (errors.length === 0) throw e;
      errors.push(...e.errors);
    }
  }
  const unique = dedupe(errors);
  const warnings = dedupeWarnings(ctx.warnings);
  // With warnings, even one error travels as RunbookErrors, which carries them.
  if (unique.length === 1 && warnings.length === 0) throw unique[0];
  if (unique.length > 0) throw new RunbookErrors(unique, warnings);
  if (warnings.length > 0) runbook.warnings = warnings;
  return runbook;
}

/** A fragment included twice warns once. */
function dedupeWarnings(warnings: RunbookWarning[]): RunbookWarning[] {
  const seen = new Set<string>();
  return warnings.filter((w) => {
    const key = `${w.pos.file}:${w.pos.line}:${w.pos.col}:${w.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A fragment included twice reports its problems once. */
function dedupe(errors: RunbookError[]): RunbookError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.pos?.file}:${e.pos?.line}:${e.pos?.col}:${e.code}:${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
