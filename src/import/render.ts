import type { ImportedAction, ImportedDoc, ImportedStep, StepPart } from "./model.ts";
import { fenced, oneLine, safeProse } from "./prose.ts";

export interface Rendered {
  text: string;
  /** Output lines (1-based, inclusive) of each action's fence, to map the checker's errors back. */
  actions: { from: number; to: number; action: ImportedAction }[];
}

const ALERT = { info: "NOTE", warning: "WARNING", danger: "CAUTION" } as const;

/** The imported document as a runbook: front matter, introduction, phases and steps. */
export function renderRunbook(doc: ImportedDoc): Rendered {
  const out: string[] = [];
  const actions: Rendered["actions"] = [];
  const add = (block: string) => {
    if (out.length > 0) out.push("");
    out.push(...block.split("\n"));
  };
  add(frontMatter(doc));
  const parts = (list: StepPart[]) => {
    for (const p of list) {
      if (p.kind !== "action" || p.action.refused) {
        const text = partText(p);
        if (text.trim() !== "") add(text);
        continue;
      }
      const from = out.length + 2;
      add(actionText(p.action, doc));
      actions.push({ from, to: out.length, action: p.action });
    }
  };
  parts(doc.intro);
  const step = (s: ImportedStep) => {
    add(`## ${oneLine(s.title) || `Step at line ${s.line}`}`);
    parts(s.parts);
  };
  doc.looseSteps.forEach(step);
  for (const phase of doc.phases) {
    add(`# ${oneLine(phase.title) || `Phase at line ${phase.line}`}`);
    parts(phase.prose);
    phase.steps.forEach(step);
  }
  return { text: `${out.join("\n")}\n`, actions };
}

function frontMatter(doc: ImportedDoc): string {
  const lines = ["---", `title: ${JSON.stringify(oneLine(doc.title) || "Imported runbook")}`];
  if (doc.summary) lines.push(`summary: ${JSON.stringify(oneLine(doc.summary))}`);
  const roles = [...doc.roles];
  if (doc.defaultRole) roles.push({ name: doc.defaultRole, label: "", line: 0 });
  if (roles.length > 0) {
    lines.push("roles:");
    for (const r of roles) {
      const describe = r.label
        ? `machine ${r.label} of the document (line ${r.line})`
        : "the machine the document's commands run on";
      lines.push(`  ${r.name}: { describe: ${JSON.stringify(describe)} }`);
    }
  }
  if (doc.vars.length > 0) {
    lines.push("vars:");
    for (const v of doc.vars)
      lines.push(
        `  ${v.name}: { default: ${JSON.stringify(v.default)}, describe: ${JSON.stringify(v.describe)} }`,
      );
  }
  lines.push("---");
  return lines.join("\n");
}

function partText(p: StepPart): string {
  switch (p.kind) {
    case "prose":
      return safeProse(p.text);
    case "include":
      return `{% include "${p.path}" %}`;
    case "note": {
      const body = safeProse(p.text || " ")
        .split("\n")
        .map((l) => (l === "" ? ">" : `> ${l}`));
      return [`> [!${ALERT[p.level]}]`, ...body].join("\n");
    }
    case "action": {
      const a = p.action;
      const why = `> [!WARNING]\n> Not imported as a command: ${oneLine(a.refused ?? "")}. Do this by hand.`;
      return `${why}\n\n${fenced("sh", safeProse(codeOf(a)))}`;
    }
  }
}

function codeOf(a: ImportedAction): string {
  return [...a.comments.map((c) => `# ${c.replace(/\{\{/g, "{ {")}`), a.command].join("\n");
}

function actionText(a: ImportedAction, doc: ImportedDoc): string {
  const attrs = [`on=${a.on ?? doc.defaultRole ?? "all"}`];
  if (a.background) attrs.push("background");
  if (a.log) attrs.push(`log=${value(a.log)}`);
  if (a.waitLog && a.waitFor) attrs.push(`wait-log=${value(a.waitLog)}`, `wait-for=${value(a.waitFor)}`);
  if (a.expect) attrs.push(`expect=${value(a.expect)}`);
  if (a.read) attrs.push("risk=read");
  const info = `sh {${attrs.join(" ")}}`;
  // A backtick fence's info string cannot hold a backtick; a tilde fence's can.
  return fenced(info, codeOf(a), info.includes("`") ? "~" : "`");
}

/**
 * An attribute value as the fence's info string must hold it: quoted (a `"` and `\` escaped for the
 * attribute list), then every backslash doubled, since Markdown takes one level away in an info string.
 */
function value(v: string): string {
  if (/^[\w~./-]+$/.test(v)) return v;
  const quoted = `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  return quoted.replace(/\\/g, "\\\\");
}
