import { createHash } from "node:crypto";
import { dirname, resolve } from "node:path";
import { type ErrorCode, RunbookError, RunbookErrors } from "../model/errors.ts";
import type { Action, Note, Phase, Rollback, Runbook, SourcePos, Step } from "../model/runbook.ts";
import { readCodeBlock } from "./actions.ts";
import { type AttributeList, parseAttributes } from "./attributes.ts";
import { type FrontMatter, parseFrontMatter } from "./front-matter.ts";
import { type Block, readMarkdown, type TagLine } from "./markdown-source.ts";
import { type ProseText, validateRunbook } from "./validate.ts";

/** Reads a file by absolute path; returns undefined when there is none. */
export type ReadFile = (path: string) => string | undefined;

/** What one file contributes: its front matter and its content, before it is merged into a runbook. */
interface FileContent {
  /** Stands for the file's introduction in `Context.texts` until it is included somewhere. */
  introOwner: object;
  fm: FrontMatter;
  intro: string;
  /** Steps written before the file's first phase heading. */
  looseSteps: Step[];
  phases: Phase[];
}

/** What the files of one runbook share while they are read. */
interface Context {
  read: ReadFile;
  sources: Runbook["sources"];
  /** Every problem found, in document order (includes in place). */
  errors: RunbookError[];
  /** Blocks with problems, per step, read as far as they could be (see validateRunbook's `refused`). */
  refused: Map<Step, { actions: Action[]; rollbacks: Rollback[] }>;
  /** Some front matter could not be read whole: whole-runbook checks would report false problems. */
  incomplete: boolean;
  /** Phases and steps whose id was made from the heading (no {#id} written). */
  generated: WeakSet<Phase | Step>;
  /** Prose, notes, documentation blocks and headings as written, with where they stand and whose they are. */
  texts: ProseText[];
}

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
  if (unique.length === 1) throw unique[0];
  if (unique.length > 1) throw new RunbookErrors(unique);
  return runbook;
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

function parseFile(path: string, ctx: Context, stack: string[]): FileContent {
  const text = ctx.read(path);
  if (text === undefined) {
    throw new RunbookError("io", `cannot read ${path}`, undefined, "check the path");
  }
  if (!ctx.sources.some((s) => s.file === path)) {
    ctx.sources.push({ file: path, sha256: createHash("sha256").update(text).digest("hex") });
  }
  const md = readMarkdown(path, text);
  const out: FileContent = {
    introOwner: {},
    fm: { roles: [], groups: [], vars: [] },
    intro: "",
    looseSteps: [],
    phases: [],
  };
  const report = (e: RunbookError) => ctx.errors.push(e);
  const problem = (code: ErrorCode, message: string, pos: SourcePos, hint?: string) =>
    report(new RunbookError(code, message, pos, hint));
  let phase: Phase | undefined;
  let step: Step | undefined;
  let hint: { level: Note["level"]; pos: SourcePos; parts: string[] } | undefined;

  const addProse = (chunk: string) => {
    if (hint) hint.parts.push(chunk);
    else if (step) step.prose = join(step.prose, chunk);
    else if (phase) phase.prose = join(phase.prose, chunk);
    else out.intro = join(out.intro, chunk);
  };
  const addNote = (note: Note) => {
    if (step) step.notes.push(note);
    else addProse(`> **${note.level}:** ${note.text}`);
  };
  /** Text shown to the operator as written, for the checks of its {{ }} (see validateRunbook's `texts`). */
  const shown = (text: string, pos: SourcePos, owner: object = step ?? phase ?? out.introOwner) => {
    if (text.includes("{{")) ctx.texts.push({ text, pos, owner: owner as ProseText["owner"] });
  };
  const addSteps = (steps: Step[]) => {
    if (phase) phase.steps.push(...steps);
    else out.looseSteps.push(...steps);
  };

  const onTag = (tag: TagLine) => {
    switch (tag.tag) {
      case "hint":
        // A second opening is reported and ignored: its {% endhint %} closes the first.
        if (hint) {
          problem(
            "bad-attribute",
            "a hint is opened inside another hint",
            tag.pos,
            "close the first one with {% endhint %}",
          );
        } else hint = { level: hintLevel(tag.arg), pos: tag.pos, parts: [] };
        return;
      case "endhint": {
        if (!hint) {
          problem(
            "bad-attribute",
            "{% endhint %} without a {% hint %}",
            tag.pos,
            "remove it or open the hint before",
          );
          return;
        }
        const done = hint;
        hint = undefined;
        addNote({ level: done.level, text: done.parts.join("\n\n").trim(), pos: done.pos });
        return;
      }
      case "include": {
        const target = resolve(dirname(path), tag.arg);
        if (stack.includes(target) || target === path) {
          const chain = [...stack, path, target].map((p) => p.split("/").pop()).join(" -> ");
          problem(
            "include-cycle",
            `include cycle: ${chain}`,
            tag.pos,
            "remove one of the includes in the loop",
          );
          return;
        }
        if (ctx.read(target) === undefined) {
          problem(
            "include-missing",
            `included file ${tag.arg} does not exist (looked for ${target})`,
            tag.pos,
            "the path is relative to the including file",
          );
          return;
        }
        const from = ctx.texts.length;
        const inc = parseFile(target, ctx, [...stack, path]);
        // The fragment's introduction becomes prose here.
        const owner = step ?? phase ?? out.introOwner;
        for (let i = from; i < ctx.texts.length; i++) {
          const t = ctx.texts[i] as ProseText;
          if (t.owner === inc.introOwner) t.owner = owner as ProseText["owner"];
        }
        mergeFrontMatter(out.fm, inc.fm);
        if (inc.intro.trim()) addProse(inc.intro.trim());
        addSteps(inc.looseSteps);
        if (inc.phases.length > 0) {
          out.phases.push(...inc.phases);
          phase = inc.phases[inc.phases.length - 1];
          step = undefined;
        } else if (inc.looseSteps.length > 0) {
          // Prose after the include belongs to the included step until the next heading.
          step = inc.looseSteps[inc.looseSteps.length - 1];
        }
        return;
      }
    }
  };

  /** Fences the Markdown layer reported as never closed: their text is not read as an action too. */
  const unclosed = new Set(md.errors.filter((e) => e.code === "unterminated-fence").map((e) => e.pos?.line));

  const onBlock = (node: Block) => {
    const pos = node.pos;
    const source = node.source;
    switch (node.kind) {
      case "heading": {
        if (hint) {
          // Reported; the heading is still read (the hint goes on to its {% endhint %}).
          problem(
            "bad-attribute",
            "a heading inside a hint",
            pos,
            "close the hint with {% endhint %} before the heading",
          );
        }
        if (node.depth > 2) {
          shown(source, pos);
          addProse(source);
          return;
        }
        const { id, title } = headingId(node.title, source, pos, report);
        if (node.depth === 1) {
          phase = {
            id: id ?? slug(title, `phase-${out.phases.length + 1}`),
            title,
            prose: "",
            steps: [],
            pos,
          };
          if (id === undefined) ctx.generated.add(phase);
          out.phases.push(phase);
          step = undefined;
          shown(source, pos, phase);
        } else {
          step = {
            id: id ?? slug(title, `step-${pos.line}`),
            title,
            prose: "",
            notes: [],
            actions: [],
            rollbacks: [],
            pos,
          };
          if (id === undefined) ctx.generated.add(step);
          addSteps([step]);
          shown(source, pos, step);
        }
        return;
      }
      case "code": {
        const read = unclosed.has(pos.line) ? undefined : readCodeBlock(path, md.lines, node);
        if (!read) {
          // A documentation block; not one never closed (the rest of the file, already reported).
          if (!unclosed.has(pos.line)) shown(source, pos);
          addProse(source);
          return;
        }
        if (!step) {
          problem(
            "bad-attribute",
            "this action is not inside a step",
            pos,
            "put a ## heading (the step) above it",
          );
          return;
        }
        if (hint) {
          problem("bad-attribute", "an action inside a hint", pos, "move the block out of the {% hint %}");
          return;
        }
        for (const e of read.errors) report(e);
        const block = read.block;
        if (!block) {
          const partial = read.partial;
          if (partial) {
            const refused = ctx.refused.get(step) ?? { actions: [], rollbacks: [] };
            ctx.refused.set(step, refused);
            if (partial.kind === "action") refused.actions.push(partial.action);
            else refused.rollbacks.push(partial.rollback);
          }
          return;
        }
        if (block.kind === "rollback") {
          step.rollbacks.push(block.rollback);
          return;
        }
        step.actions.push(block.action);
        if (block.rollout && step.rollout) {
          problem(
            "bad-attribute",
            `the rollout of step ${step.id} is already given on line ${step.rollout.pos.line}`,
            block.rollout.pos,
            "write serial=, max-fail=, pause= and gate= on one action of the step",
          );
        } else if (block.rollout) step.rollout = block.rollout;
        return;
      }
      case "blockquote": {
        for (const e of node.nested) report(e);
        shown(source, pos);
        const alert = readAlert(source, pos);
        if (alert) addNote(alert);
        else addProse(source);
        return;
      }
      default:
        for (const e of node.nested) report(e);
        shown(source, pos);
        addProse(source);
    }
  };

  if (md.frontMatter) {
    const fm = parseFrontMatter(path, md.frontMatter.text, md.frontMatter.line, ctx.errors);
    if (fm.incomplete) ctx.incomplete = true;
    mergeFrontMatter(fm, out.fm);
    out.fm = fm;
  }
  // Problems of the Markdown itself take their place among the others, by line.
  let next = 0;
  const flushUntil = (line: number) => {
    while (next < md.errors.length && ((md.errors[next] as RunbookError).pos?.line ?? 0) <= line) {
      report(md.errors[next++] as RunbookError);
    }
  };
  // Tags were taken out of the Markdown; they stand among the blocks in document order.
  for (const item of md.items) {
    if (item.kind === "tag") {
      flushUntil(item.tag.pos.line);
      onTag(item.tag);
    } else {
      flushUntil(item.pos.line);
      onBlock(item);
    }
  }
  flushUntil(Number.POSITIVE_INFINITY);
  if (hint) {
    problem(
      "bad-attribute",
      "{% hint %} is never closed",
      hint.pos,
      "add {% endhint %} after the hint's text",
    );
  }
  return out;
}

/** Declarations of an included file fill in what the including file has not declared itself. */
function mergeFrontMatter(into: FrontMatter, from: FrontMatter): void {
  for (const key of ["roles", "groups", "vars"] as const) {
    const have = new Set(into[key].map((d) => d.name));
    for (const d of from[key]) {
      if (!have.has(d.name)) (into[key] as { name: string }[]).push(d);
    }
  }
}

/** The heading's title and its `{#id}`, if written; a mistake in the braces is reported, the title kept. */
function headingId(
  plain: string,
  source: string,
  pos: SourcePos,
  report: (e: RunbookError) => void,
): { id?: string; title: string } {
  const text = plain.trim();
  // (No leading \s* in the pattern: tried at every space of a long run of them, it is quadratic.)
  const m = /(\{[^{}]*\})\s*$/.exec(text);
  const attrText = m?.[1];
  if (!attrText?.includes("#")) return { title: text };
  const title = text.slice(0, m?.index).trim();
  const braceCol = source.lastIndexOf(attrText);
  let list: AttributeList;
  try {
    list = parseAttributes(attrText, { ...pos, col: pos.col + Math.max(braceCol, 0) });
  } catch (e) {
    if (!(e instanceof RunbookError)) throw e;
    report(e);
    return { title };
  }
  if (list.attrs.length > 0) {
    report(
      new RunbookError(
        "bad-attribute",
        `a heading takes only an id, not ${list.attrs[0]?.key}=`,
        list.attrs[0]?.pos ?? pos,
        "put attributes on the step's code blocks",
      ),
    );
  }
  return { id: list.id, title };
}

function readAlert(source: string, pos: SourcePos): Note | undefined {
  const text = source
    .split("\n")
    .map((l) => l.replace(/^\s{0,3}>\s?/, ""))
    .join("\n");
  const m = /^\s*\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*/i.exec(text);
  if (!m?.[1]) return undefined;
  const kind = m[1].toUpperCase();
  const level: Note["level"] = kind === "WARNING" ? "warning" : kind === "CAUTION" ? "danger" : "info";
  return { level, text: text.slice(m[0].length).trim(), pos };
}

function hintLevel(style: string): Note["level"] {
  switch (style) {
    case "warning":
      return "warning";
    case "danger":
      return "danger";
    default:
      return "info";
  }
}

/**
 * A heading as an id: its letters and digits, of every script, lower-cased (with the marks that belong
 * to them, as in Devanagari or Thai), everything else turned into `-`: `单Master模式` -> `单master模式`.
 */
export function slug(title: string, fallback: string): string {
  const s = title
    .normalize("NFC")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}]+/gu, "-")
    .replace(/^[-\p{M}]+|-+$/gu, "");
  return s === "" ? fallback : s;
}

/**
 * A generated id that an earlier generated one already has gets a suffix, in document order (`-2`, `-3`),
 * skipping every id a heading has or writes (so no other heading's id changes). Explicit {#id}s are
 * left as written: one that another heading has too is an error (validate.ts).
 */
function assignIds(phases: Phase[], generated: WeakSet<Phase | Step>): void {
  const steps = phases.flatMap((p) => p.steps);
  for (const list of [phases, steps] as (Phase | Step)[][]) {
    const taken = new Set(list.map((x) => x.id));
    const seen = new Set<string>();
    const next = new Map<string, number>();
    for (const x of list) {
      if (!generated.has(x)) continue;
      if (!seen.has(x.id)) {
        seen.add(x.id);
        continue;
      }
      const base = x.id;
      let n = next.get(base) ?? 2;
      while (taken.has(`${base}-${n}`)) n++;
      next.set(base, n + 1);
      x.id = `${base}-${n}`;
      taken.add(x.id);
      seen.add(x.id);
    }
  }
}

function join(a: string, b: string): string {
  return a === "" ? b : `${a}\n\n${b}`;
}
