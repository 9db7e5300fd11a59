import { CommandReader } from "./command-reader.ts";

export interface Word {
  /** The word with quotes removed (placements kept as slots). */
  lit: string;
}

export interface CmdFrame {
  t: "cmd";
  /** What ends this frame: `)` of `$(`, a backtick, `)` of a subshell, or nothing (the text's end). */
  closer: ")" | "`" | "";
  /** Parentheses opened inside this frame (subshells, case patterns) still open. */
  parens: number;
  words: Word[];
  /** Reads `words` as they come, to say whether a value in the next word is code (see placementIn). */
  reader: CommandReader;
  /** heredocCodeReason for the words as they were at its last call. */
  heredoc?: { words: number; cur: string | undefined; reason: string | undefined };
  cur: Word | undefined;
  /** The next word is a redirection's target, not an argument. */
  redirect: boolean;
  /** Inside `[[ … ]]`, since which word, and the slots placed there so far. */
  testFrom?: number;
  testSlots: number[];
  /** `case … in` blocks open: a `)` there ends a pattern, not the frame. */
  cases: number;
}

export type Frame =
  | CmdFrame
  | { t: "dq" }
  | { t: "sq" }
  | { t: "ansi" }
  | { t: "param"; depth: number }
  | { t: "arith"; depth: number; closer: "))" };

export function newCmd(closer: CmdFrame["closer"]): CmdFrame {
  return {
    t: "cmd",
    closer,
    parens: 0,
    words: [],
    reader: new CommandReader(),
    cur: undefined,
    redirect: false,
    cases: 0,
    testSlots: [],
  };
}

/**
 * The scan's stack, which also knows for each depth the nearest command frame and whether double quotes
 * are open above it: asking costs nothing however deep `${`, `$(` and quotes nest.
 */
export class FrameStack {
  readonly frames: Frame[] = [];
  private readonly cmds: CmdFrame[] = [];
  private readonly quoted: boolean[] = [];

  constructor() {
    this.push(newCmd(""));
  }

  push(f: Frame): void {
    const below = this.frames.length - 1;
    this.frames.push(f);
    this.cmds.push(f.t === "cmd" ? f : (this.cmds[below] as CmdFrame));
    this.quoted.push(f.t === "dq" ? true : f.t === "cmd" ? false : (this.quoted[below] ?? false));
  }

  /** The outermost command frame (the text itself) is never popped. */
  pop(): void {
    if (this.frames.length <= 1) return;
    this.frames.pop();
    this.cmds.pop();
    this.quoted.pop();
  }

  top(): Frame {
    return this.frames[this.frames.length - 1] as Frame;
  }

  cmdFrame(): CmdFrame {
    return this.cmds[this.cmds.length - 1] as CmdFrame;
  }

  /** Inside double quotes of the current command (not of an enclosing one). */
  inQuotes(): boolean {
    return this.quoted[this.quoted.length - 1] ?? false;
  }
}

/** At `$` or a backtick: pushes the frame it opens and returns where scanning goes on. */
export function openExpansion(text: string, i: number, stack: FrameStack): number {
  const c = text[i];
  if (c === "`") {
    stack.push(newCmd("`"));
    return i + 1;
  }
  if (text.startsWith("$((", i)) {
    stack.push({ t: "arith", depth: 0, closer: "))" });
    return i + 3;
  }
  if (text.startsWith("$(", i)) {
    stack.push(newCmd(")"));
    return i + 2;
  }
  if (text.startsWith("${", i)) {
    stack.push({ t: "param", depth: 0 });
    return i + 2;
  }
  if (text.startsWith("$[", i)) {
    // Old arithmetic: $[ 1 + 2 ]. Treat up to the closing bracket as arithmetic text.
    const end = text.indexOf("]", i);
    return end < 0 ? text.length : end + 1;
  }
  return i + 1;
}
