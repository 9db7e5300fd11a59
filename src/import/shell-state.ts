import type { MachineName, RoleMap } from "./machines.ts";
import type { ImportedAction } from "./model.ts";

/** What the commands before this one left behind: the directory, a started process not yet waited for. */
export interface ShellState {
  cwd?: string;
  /** The line of the `cd` that made it. */
  cwdLine?: number;
  /** A `nohup … &` just started, and the line it prints (when the document shows one). */
  background?: { action: ImportedAction; stepKey: object; expected?: string };
  /** Comments above a `cd`, kept for the command after it. */
  comments: string[];
}

export interface CommandContext {
  state: ShellState;
  roles: RoleMap;
  /** The machine the step's heading or prose names. */
  stepMachine?: MachineName;
  /** The step being filled (identity only: a wait is merged only into a process of the same step). */
  stepKey: object;
  note(line: number, kind: "inferred" | "manual", text: string): void;
  machine(m: MachineName, line: number, why: string): void;
}

/** The process started last is left without a wait: say so when the document showed a line for it. */
export function leaveBackground(ctx: Pick<CommandContext, "state" | "note">): void {
  const bg = ctx.state.background;
  ctx.state.background = undefined;
  if (bg?.expected && !bg.action.waitLog) {
    ctx.note(
      bg.action.line,
      "manual",
      `"${bg.expected}" not waited for: the document names no log file to look for it in`,
    );
  }
}
