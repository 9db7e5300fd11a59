import { posix } from "node:path";
import { isInteractive, onlyReads } from "./command-words.ts";
import { escapeRegex, usableLine, varies } from "./expected-output.ts";
import { machineNamed, machineOfCommand } from "./machines.ts";
import type { ImportedAction, StepPart } from "./model.ts";
import { fenced } from "./prose.ts";
import type { DocCommand } from "./shell-block.ts";
import { type CommandContext, leaveBackground } from "./shell-state.ts";
import { TAIL_F, tailParts } from "./tail-wait.ts";

const PLACEHOLDER = /<[A-Za-z][\w .-]*>|\bYOUR_[A-Z_]+|\byour[-_][a-z]+\b|\bxxx+\b/i;

/** One command of the document into the parts of its step: an action, or why it stays manual. */
export function commandParts(cmd: DocCommand, ctx: CommandContext): StepPart[] {
  const { state } = ctx;
  const comments = [...state.comments, ...cmd.comments.map((c) => c.text)];
  state.comments = [];
  const text = cmd.text;
  if (/^cd(\s|$)/.test(text) && !text.includes("\n") && !/[;&|]/.test(text)) {
    changeDirectory(text, cmd.line, ctx);
    state.comments = comments;
    return [];
  }
  const manual = whyManual(text);
  if (manual) {
    ctx.note(cmd.line, "manual", `${firstLine(text)}: ${manual}; left as a manual step`);
    leaveBackground(ctx);
    return [
      { kind: "note", level: "warning", text: `Not imported as a command: ${manual}. Do this by hand.` },
      { kind: "prose", text: fenced("sh", [...comments.map((c) => `# ${c}`), text].join("\n")) },
    ];
  }
  const on = machineFor(cmd, ctx);
  const tail = TAIL_F.exec(text);
  if (tail?.[1]) return tailParts(tail[1], cmd, on, comments, ctx);
  const action = shellAction(text, cmd.line, on, comments, ctx);
  const parts: StepPart[] = [{ kind: "action", action }];
  const expected = cmd.output.map((o) => usableLine(o.text)).find((x) => x !== undefined);
  leaveBackground(ctx);
  if (action.background) {
    state.background = { action, stepKey: ctx.stepKey, expected };
    ctx.note(cmd.line, "inferred", `nohup … & became a background action`);
  } else {
    if (expected && cmd.output.length <= 2 && !varies(expected)) {
      action.expect = escapeRegex(expected);
      ctx.note(cmd.output[0]?.line ?? cmd.line, "inferred", `expected output "${expected}" became expect=`);
    } else if (cmd.output.length > 0) {
      parts.push({
        kind: "prose",
        text: `The document shows this output:\n\n${fenced("text", cmd.output.map((o) => o.text).join("\n"))}`,
      });
      ctx.note(
        cmd.output[0]?.line ?? cmd.line,
        "manual",
        "output shown after a command kept as prose, not checked",
      );
    }
  }
  if (action.read) ctx.note(cmd.line, "inferred", `${firstLine(action.command)}: only reads, risk=read`);
  return parts;
}

function whyManual(text: string): string | undefined {
  if (text.includes("{{")) return "it uses {{ }}, which a runbook reads as its own variable";
  if (isInteractive(text)) return "it waits for a person (an editor, a pager, an interactive login)";
  if (PLACEHOLDER.test(text)) return "it holds a placeholder to fill in";
  if (/^cd(\s|$)/.test(text)) return "a cd combined with other commands cannot be carried to the next ones";
  return undefined;
}

function changeDirectory(text: string, line: number, ctx: CommandContext): void {
  const dir = text.replace(/^cd\s*/, "").trim();
  const { state } = ctx;
  if (dir === "" || dir === "~") state.cwd = undefined;
  else if (/^[\w.~/+-]+$/.test(dir) && dir !== "-")
    state.cwd = dir.startsWith("/") || dir.startsWith("~") || !state.cwd ? dir : posix.join(state.cwd, dir);
  else {
    ctx.note(line, "manual", `cd ${dir}: not a plain directory, not carried to the commands after it`);
    return;
  }
  state.cwdLine = line;
  ctx.note(line, "inferred", `cd ${dir}: the commands after it run in ${state.cwd ?? "the home directory"}`);
}

function machineFor(cmd: DocCommand, ctx: CommandContext): string | undefined {
  for (const c of [...cmd.comments].reverse()) {
    const m = machineNamed(c.text, ctx.roles);
    if (m) {
      ctx.machine(m, c.line, `the comment "${c.text}"`);
      return m.role;
    }
  }
  const own = machineOfCommand(cmd.text, ctx.roles);
  if (own) {
    ctx.machine(own, cmd.line, "the command");
    return own.role;
  }
  return ctx.stepMachine?.role;
}

function shellAction(
  text: string,
  line: number,
  on: string | undefined,
  comments: string[],
  ctx: CommandContext,
): ImportedAction {
  let command = text;
  let background = false;
  let log: string | undefined;
  const bg = /^nohup\s+([\s\S]*?)\s*&\s*$/.exec(text) ?? /^([^\n]*?[^&\s])\s*&\s*$/.exec(text);
  if (bg?.[1] && !text.includes("\n")) {
    background = true;
    command = bg[1];
    const redirect = /\s+>{1,2}\s*(\S+)(\s+2>&1)?\s*$/.exec(command);
    if (redirect?.[1]) {
      log = redirect[1];
      command = command.slice(0, redirect.index);
    }
  }
  if (ctx.state.cwd) command = `cd ${ctx.state.cwd} && ${command}`;
  const action: ImportedAction = { on, command, comments, background, read: false, line };
  if (ctx.state.cwd) action.cwd = { dir: ctx.state.cwd, line: ctx.state.cwdLine ?? line };
  if (log) action.log = log;
  action.read = !background && onlyReads(text);
  return action;
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}
