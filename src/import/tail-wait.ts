import { escapeRegex, singleQuoted, usableLine } from "./expected-output.ts";
import type { StepPart } from "./model.ts";
import type { DocCommand } from "./shell-block.ts";
import type { CommandContext } from "./shell-state.ts";

export const TAIL_F = /^tail\s+(?:-n\s*\d+\s+)?-[a-zA-Z]*[fF][a-zA-Z]*\s+(?:-n\s*\d+\s+)?(\S+)\s*$/;

/** `tail -f FILE`: the wait of the process started before it, or a look at the log, or manual. */
export function tailParts(
  file: string,
  cmd: DocCommand,
  on: string | undefined,
  comments: string[],
  ctx: CommandContext,
): StepPart[] {
  const { state } = ctx;
  const bg = state.background;
  const own = cmd.output.map((o) => usableLine(o.text)).find((x) => x !== undefined);
  const expected = own ?? bg?.expected;
  state.background = undefined;
  if (!expected) {
    ctx.note(cmd.line, "manual", `tail -f ${file}: never ends, and the document shows no line to wait for`);
    return [
      {
        kind: "note",
        level: "warning",
        text: `Not imported: \`tail -f ${file}\` never ends and the document shows no line to wait for. Look at the log by hand.`,
      },
    ];
  }
  if (bg && !bg.action.waitLog) {
    bg.action.waitLog = file;
    bg.action.waitFor = escapeRegex(expected);
    ctx.note(
      cmd.line,
      "inferred",
      `tail -f ${file} with "${expected}" became the wait of the command at line ${bg.action.line}`,
    );
    if (bg.stepKey === ctx.stepKey) return [];
  }
  const check = `grep -F -- ${singleQuoted(expected)} ${file}`;
  ctx.note(cmd.line, "inferred", `tail -f ${file} became a read-only look for "${expected}"`);
  return [
    {
      kind: "action",
      action: {
        on: on ?? bg?.action.on,
        command: check,
        comments,
        background: false,
        read: true,
        line: cmd.line,
      },
    },
  ];
}
