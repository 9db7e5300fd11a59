import { createHash } from "node:crypto";
import { type ErrorCode, RunbookError } from "../model/errors.ts";
import type {
  Action,
  Note,
  Phase,
  Rollback,
  Runbook,
  RunbookWarning,
  SourcePos,
  Step,
} from "../model/runbook.ts";
import { type FrontMatter, parseFrontMatter } from "./front-matter.ts";
import { closeHint, openHint } from "./hints.ts";
import { includeFile, mergeFrontMatter } from "./includes.ts";
import { type MarkdownSource, readMarkdown, type TagLine } from "./markdown-source.ts";
import { readBlock } from "./step-assembly.ts";
import type { ProseText } from "./validate.ts";

/** Reads a file by absolute path; returns undefined when there is none. */
export type ReadFile = (path: string) => string | undefined;

/** What one file contributes: its front matter and its content, before it is merged into a runbook. */
export interface FileContent {
  /** Stands for the file's introduction in `Context.texts` until it is included somewhere. */
  introOwner: object;
  fm: FrontMatter;
  intro: string;
  /** Steps written before the file's first phase heading. */
  looseSteps: Step[];
  phases: Phase[];
}

/** What the files of one runbook share while they are read. */
export interface Context {
  read: ReadFile;
  sources: Runbook["sources"];
  /** Every problem found, in document order (includes in place). */
  errors: RunbookError[];
  /** What does not stop the runbook but is worth telling (GitBook keys), in document order. */
  warnings: RunbookWarning[];
  /** Blocks with problems, per step, read as far as they could be (see validateRunbook's `refused`). */
  refused: Map<Step, { actions: Action[]; rollbacks: Rollback[] }>;
  /** Some front matter could not be read whole: whole-runbook checks would report false problems. */
  incomplete: boolean;
  /** Phases and steps whose id was made from the heading (no {#id} written). */
  generated: WeakSet<Phase | Step>;
  /** Prose, notes, documentation blocks and headings as written, with where they stand and whose they are. */
  texts: ProseText[];
}

/** A `{% hint %}` whose `{% endhint %}` has not come yet: prose goes into it. */
export interface OpenHint {
  level: Note["level"];
  pos: SourcePos;
  parts: string[];
}

/**
 * Where the reading of one file stands: the phase and step the next block belongs to, an open hint, and
 * what the file has given so far.
 */
export class FileWalk {
  phase: Phase | undefined;
  step: Step | undefined;
  hint: OpenHint | undefined;
  readonly out: FileContent = {
    introOwner: {},
    fm: { roles: [], groups: [], vars: [] },
    intro: "",
    looseSteps: [],
    phases: [],
  };
  /** Fences the Markdown layer reported as never closed: their text is not read as an action too. */
  readonly unclosed: Set<number | undefined>;

  constructor(
    readonly path: string,
    readonly ctx: Context,
    /** The files that include this one, outermost first. */
    readonly stack: string[],
    readonly md: MarkdownSource,
  ) {
    this.unclosed = new Set(md.errors.filter((e) => e.code === "unterminated-fence").map((e) => e.pos?.line));
  }

  readonly report = (e: RunbookError): void => {
    this.ctx.errors.push(e);
  };

  problem(code: ErrorCode, message: string, pos: SourcePos, hint?: string): void {
    this.report(new RunbookError(code, message, pos, hint));
  }

  addProse(chunk: string): void {
    if (this.hint) this.hint.parts.push(chunk);
    else if (this.step) this.step.prose = join(this.step.prose, chunk);
    else if (this.phase) this.phase.prose = join(this.phase.prose, chunk);
    else this.out.intro = join(this.out.intro, chunk);
  }

  addNote(note: Note): void {
    if (this.step) this.step.notes.push(note);
    else this.addProse(`> **${note.level}:** ${note.text}`);
  }

  /** Whose prose the next text is: the step's, the phase's, or the file's introduction. */
  owner(): object {
    return this.step ?? this.phase ?? this.out.introOwner;
  }

  /** Text shown to the operator as written, for the checks of its {{ }} (see validateRunbook's `texts`). */
  shown(text: string, pos: SourcePos, owner: object = this.owner()): void {
    if (text.includes("{{")) this.ctx.texts.push({ text, pos, owner: owner as ProseText["owner"] });
  }

  addSteps(steps: Step[]): void {
    if (this.phase) this.phase.steps.push(...steps);
    else this.out.looseSteps.push(...steps);
  }

  /** Reads an included file, with this one on its include stack. */
  readIncluded(target: string): FileContent {
    return parseFile(target, this.ctx, [...this.stack, this.path]);
  }
}

const TAGS: Record<TagLine["tag"], (walk: FileWalk, tag: TagLine) => void> = {
  hint: openHint,
  endhint: closeHint,
  include: includeFile,
};

/** Reads one file of a runbook (and, in place, the files it includes). */
export function parseFile(path: string, ctx: Context, stack: string[]): FileContent {
  const text = ctx.read(path);
  if (text === undefined) {
    throw new RunbookError("io", `cannot read ${path}`, undefined, "check the path");
  }
  if (!ctx.sources.some((s) => s.file === path)) {
    ctx.sources.push({ file: path, sha256: createHash("sha256").update(text).digest("hex") });
  }
  const md = readMarkdown(path, text);
  const walk = new FileWalk(path, ctx, stack, md);
  if (md.frontMatter) {
    const fm = parseFrontMatter(path, md.frontMatter.text, md.frontMatter.line, ctx.errors);
    if (fm.incomplete) ctx.incomplete = true;
    if (fm.warnings) ctx.warnings.push(...fm.warnings);
    mergeFrontMatter(fm, walk.out.fm);
    walk.out.fm = fm;
  }
  walkItems(walk);
  if (walk.hint) {
    walk.problem(
      "bad-attribute",
      "{% hint %} is never closed",
      walk.hint.pos,
      "add {% endhint %} after the hint's text",
    );
  }
  return walk.out;
}

/** Tags and blocks in document order, each problem of the Markdown itself in its place among them. */
function walkItems(walk: FileWalk): void {
  const { md } = walk;
  let next = 0;
  const flushUntil = (line: number) => {
    while (next < md.errors.length && ((md.errors[next] as RunbookError).pos?.line ?? 0) <= line) {
      walk.report(md.errors[next++] as RunbookError);
    }
  };
  for (const item of md.items) {
    if (item.kind === "tag") {
      flushUntil(item.tag.pos.line);
      TAGS[item.tag.tag](walk, item.tag);
    } else {
      flushUntil(item.pos.line);
      readBlock(walk, item);
    }
  }
  flushUntil(Number.POSITIVE_INFINITY);
}

function join(a: string, b: string): string {
  return a === "" ? b : `${a}\n\n${b}`;
}
