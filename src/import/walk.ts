import { commandParts } from "./command-actions.ts";
import type { Unit } from "./document-units.ts";
import { type MachineName, machineNamed, machineNamedInProse, type RoleMap } from "./machines.ts";
import type { Finding, ImportedDoc, ImportedPhase, ImportedStep, StepPart } from "./model.ts";
import { type HeadingRole, outline } from "./outline.ts";
import { fenced } from "./prose.ts";
import { readShellBlock } from "./shell-block.ts";
import { type CommandContext, leaveBackground, type ShellState } from "./shell-state.ts";

export interface WalkInput {
  units: Unit[];
  roles: RoleMap;
  /** The path an include of this page would be written with, when the page exists; undefined otherwise. */
  includePath(page: string): string | undefined;
}

type Heading = Extract<Unit, { kind: "heading" }>;

/** Walks the document's units in order into phases, steps and their parts. */
export class Walk {
  readonly doc: ImportedDoc = { title: "", intro: [], looseSteps: [], phases: [], roles: [], vars: [] };
  readonly findings: Finding[] = [];
  private phase?: ImportedPhase;
  private step?: ImportedStep;
  private titleHeading?: Heading;
  /** Prose of a container heading, for its first step. */
  private pending: StepPart[] = [];
  private stepMachine?: MachineName;
  /** The container heading the steps are under; its prose waits in `pending` for the first of them. */
  private container?: { title: string; depth: number; machine?: MachineName; last?: MachineName };
  private hint?: { level: "info" | "warning" | "danger"; texts: string[]; line: number };
  private readonly shell: ShellState = { comments: [] };
  private readonly blocks = new Map<number, ReturnType<typeof readShellBlock>>();

  constructor(private readonly input: WalkInput) {}

  run(): ImportedDoc {
    const { units } = this.input;
    units.forEach((u, i) => {
      if (u.kind === "code") this.blocks.set(i, readShellBlock(u.lang, u.value, u.codeLine));
    });
    const roles = outline(units, (i) => this.blocks.get(i) !== undefined);
    units.forEach((u, i) => {
      if (u.kind === "heading") this.heading(u, roles.get(i) ?? "prose");
      else if (u.kind === "tag") this.tag(u);
      else if (u.kind === "prose") this.prose(u.text, u.line);
      else this.code(u, i);
    });
    this.closeHint();
    leaveBackground(this.context());
    if (this.titleHeading) this.doc.title = this.titleHeading.title;
    return this.doc;
  }

  note(line: number, kind: Finding["kind"], text: string): void {
    this.findings.push({ line, kind, text });
  }

  private heading(h: Heading, role: HeadingRole): void {
    this.headingRole(h, role);
    if (h.links && role !== "title") this.push({ kind: "prose", text: `See ${h.links.join(", ")}.` });
  }

  private headingRole(h: Heading, role: HeadingRole): void {
    if (h.virtual === "bold-line" && role !== "prose")
      this.note(h.line, "inferred", `the bold line "${h.title}" read as a heading`);
    if (h.virtual === "list-item" && role === "step")
      this.note(h.line, "inferred", `numbered item "${h.title}" became a step`);
    if (role === "title" || role === "title-step") {
      this.titleHeading = h;
      if (role === "title-step") this.openStep(h);
      return;
    }
    if (role === "phase") {
      this.closeHint();
      this.step = undefined;
      this.container = undefined;
      this.pending = [];
      leaveBackground(this.context());
      this.phase = { title: h.title, line: h.line, prose: [], steps: [] };
      this.doc.phases.push(this.phase);
    } else if (role === "step") this.openStep(h);
    else if (role === "container") {
      this.closeHint();
      this.step = undefined;
      this.container = { title: h.title, depth: h.depth, machine: machineNamed(h.title, this.input.roles) };
      this.pending = [];
    } else this.push({ kind: "prose", text: `### ${h.title}` });
  }

  private openStep(h: Heading): void {
    this.closeHint();
    // The sub-sections of a container are its steps: their titles say whose (`启动Master1: 1. 在机器A…`).
    const under = this.container && h.depth > this.container.depth ? this.container : undefined;
    this.container = under;
    const title = under?.title ? `${under.title}: ${h.title}` : h.title;
    this.step = { title, line: h.line, parts: this.pending };
    this.pending = [];
    const named = machineNamed(h.title, this.input.roles);
    // A machine named in one sub-section stays the one the next sub-sections work on, as for a person
    // following them at that machine's prompt.
    this.stepMachine = named ?? under?.last ?? under?.machine;
    if (under && named) under.last = named;
    if (named) this.machine(named, h.line, `the heading "${h.title}"`);
    if (this.phase) this.phase.steps.push(this.step);
    else this.doc.looseSteps.push(this.step);
  }

  private tag(u: Extract<Unit, { kind: "tag" }>): void {
    if (u.tag === "hint") {
      this.closeHint();
      const level = u.arg === "danger" ? "danger" : u.arg === "warning" ? "warning" : "info";
      this.hint = { level, texts: [], line: u.line };
    } else if (u.tag === "endhint") this.closeHint();
    else {
      const path = this.input.includePath(u.arg);
      if (path) {
        this.note(u.line, "inferred", `page-ref ${u.arg} became an include (it exists beside the document)`);
        this.push({ kind: "include", path });
      } else {
        this.note(
          u.line,
          "manual",
          `page-ref ${u.arg}: no such page beside the document, kept as a note with the link`,
        );
        this.push({
          kind: "note",
          level: "info",
          text: `See [${u.arg}](${u.arg}) (a page this document refers to; not found beside it, so not included).`,
        });
      }
    }
  }

  private closeHint(): void {
    const h = this.hint;
    if (!h) return;
    this.hint = undefined;
    this.note(h.line, "inferred", "hint kept as a note");
    this.push({ kind: "note", level: h.level, text: h.texts.join("\n\n") });
  }

  private prose(text: string, line: number): void {
    if (this.hint) {
      this.hint.texts.push(text);
      return;
    }
    if (text.includes("{{"))
      this.note(line, "manual", "{{ }} in the text written { { so that it is not read as a runbook variable");
    const named = machineNamedInProse(text, this.input.roles);
    if (this.step && named) {
      this.stepMachine = named;
      if (this.container) this.container.last = named;
      this.machine(named, line, "the text before it");
    }
    this.push({ kind: "prose", text });
  }

  private code(u: Extract<Unit, { kind: "code" }>, i: number): void {
    const commands = this.blocks.get(i);
    const lang = /^[\w+-]+$/.test(u.lang) ? u.lang : "";
    if (!commands || this.hint) {
      if (this.hint) this.hint.texts.push(fenced(lang, u.value));
      else this.push({ kind: "prose", text: fenced(lang, u.value) });
      return;
    }
    if (!this.step) this.implicitStep(u.line);
    for (const cmd of commands) for (const part of commandParts(cmd, this.context())) this.push(part);
  }

  /** Commands before any step heading (under the title, in the introduction) get a step of their own. */
  private implicitStep(line: number): void {
    const title = this.titleHeading?.title || "Commands";
    this.openStep({ kind: "heading", depth: 2, title, line });
    this.note(line, "inferred", `commands before any section: a step "${title}"`);
  }

  private context(): CommandContext {
    const stepKey = this.step ?? this.doc;
    return {
      state: this.shell,
      roles: this.input.roles,
      stepMachine: this.stepMachine,
      stepKey,
      note: (line, kind, text) => this.note(line, kind, text),
      machine: (m, line, why) => this.machine(m, line, why),
    };
  }

  machine(m: MachineName, line: number, why: string): void {
    if (this.doc.roles.some((r) => r.name === m.role)) return;
    this.doc.roles.push({ name: m.role, label: m.label, line });
    const role = m.mapped ? `role ${m.role} (--role)` : `role ${m.role}`;
    this.note(line, "inferred", `machine ${m.label} (named by ${why}) became ${role}`);
  }

  private push(part: StepPart): void {
    if (this.step) this.step.parts.push(part);
    else if (this.container) this.pending.push(part);
    else if (this.phase) this.phase.prose.push(part);
    else this.doc.intro.push(part);
  }
}
