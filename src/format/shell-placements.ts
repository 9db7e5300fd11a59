/**
 * Where each `{{ }}` of a shell text stands, as bash will read it: unquoted, inside double quotes, in a
 * here-document, inside single quotes, in arithmetic, or in text that another program parses as code.
 *
 * The planner never splices a value into shell text. It turns `{{ x }}` into a parameter expansion of a
 * variable that a preamble it writes itself assigns (`"${__rb_x}"` unquoted, `${__rb_x}` inside double
 * quotes), and bash never parses the result of an expansion again. This scan only decides which of the
 * two forms fits, and refuses the places where no expansion is expanded or where the text is code for
 * yet another parser. A mistake here can cost word splitting, never code: that is why expansions, not
 * escaping, carry values.
 *
 * The scan is a single pass with an explicit stack (no recursion a document could exhaust).
 */

import { RunbookError } from "../model/errors.ts";
import type { SourcePos } from "../model/runbook.ts";
import { parseTemplate, type TemplateExpr } from "./template.ts";

/** Marks where the n-th `{{ }}` stands in the text given to `scanPlacements`. */
export const SLOT_OPEN = "\uE000";
export const SLOT_CLOSE = "\uE001";
export const slot = (n: number) => `${SLOT_OPEN}${n}${SLOT_CLOSE}`;

export type Placement =
  /** Unquoted: the expansion is written in double quotes, so it stays one word. */
  | { kind: "word" }
  /** Inside double quotes or an unquoted here-document: the expansion is written bare. */
  | { kind: "quoted"; heredoc?: boolean }
  /** No expansion can carry a value here. */
  | { kind: "refused"; why: string; hint: string };

const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "ash", "mksh", "yash", "fish", "busybox"]);
/** Interpreters that run code given with a flag (`python3 -c CODE`) or on standard input. */
const INTERPRETERS: Record<string, string[]> = {
  python: ["-c"],
  python2: ["-c"],
  python3: ["-c"],
  perl: ["-e", "-E"],
  ruby: ["-e"],
  node: ["-e", "-p", "--eval", "--print"],
  bun: ["-e", "--eval", "-p", "--print"],
  php: ["-r"],
  lua: ["-e"],
  tclsh: [],
  jshell: [],
};
const AWKS = new Set(["awk", "gawk", "mawk", "nawk", "busybox-awk"]);
/** Commands that run the rest of their words as another command (their own options skipped). */
const PREFIXES = new Set([
  "sudo",
  "doas",
  "env",
  "nohup",
  "exec",
  "command",
  "builtin",
  "nice",
  "ionice",
  "time",
  "timeout",
  "setsid",
  "stdbuf",
  "chrt",
  "taskset",
  "xargs",
  "flock",
  "unbuffer",
]);
/** Options of those prefixes that take the next word as their value. */
const PREFIX_ARGS: Record<string, string[]> = {
  sudo: ["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "-R"],
  doas: ["-u", "-C"],
  env: ["-u", "-C", "-S"],
  nice: ["-n"],
  ionice: ["-c", "-n", "-p"],
  timeout: ["-s", "-k", "--signal", "--kill-after"],
  stdbuf: ["-i", "-o", "-e"],
  xargs: ["-I", "-n", "-P", "-L", "-d", "-E", "-s", "-a"],
  flock: ["-w", "-E", "--timeout", "--conflict-exit-code"],
};
const SSH_ARGS = new Set("BbcDEeFIiJLlmOopQRSWw".split("").map((c) => `-${c}`));
const RESERVED = new Set(["if", "then", "else", "elif", "do", "while", "until", "!", "{", "time", "in"]);
const ARITH_TESTS = new Set(["-eq", "-ne", "-lt", "-le", "-gt", "-ge"]);

interface Word {
  /** The word with quotes removed (placements kept as slots). */
  lit: string;
}

interface CmdFrame {
  t: "cmd";
  /** What ends this frame: `)` of `$(`, a backtick, `)` of a subshell, or nothing (the text's end). */
  closer: ")" | "`" | "";
  /** Parentheses opened inside this frame (subshells, case patterns) still open. */
  parens: number;
  words: Word[];
  /** Reads `words` as they come, to say whether a value in the next word is code (see codeReason). */
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

type Frame =
  | CmdFrame
  | { t: "dq" }
  | { t: "sq" }
  | { t: "ansi" }
  | { t: "param"; depth: number }
  | { t: "arith"; depth: number; closer: "))" };

interface PendingHeredoc {
  delim: string;
  strip: boolean;
  quoted: boolean;
  /** Why a value in its body would be run as code (the here-document feeds a shell, say). */
  code?: string;
}

/**
 * Returns the placement of every slot in `text` (slot numbers are indexes into the result). A slot
 * that the scan never reaches (inside a comment) counts as a word.
 */
export function scanPlacements(text: string, count: number): Placement[] {
  const out: Placement[] = Array.from({ length: count }, () => ({ kind: "word" }) as Placement);
  const stack = new FrameStack();
  const heredocs: PendingHeredoc[] = [];
  let i = 0;
  const n = text.length;
  const top = () => stack.top();
  const cmdFrame = () => stack.cmdFrame();
  const inQuotes = () => stack.inQuotes();
  const addChar = (c: string) => {
    const f = cmdFrame();
    if (!f.cur) f.cur = { lit: "" };
    f.cur.lit += c;
  };
  const endWord = (f: CmdFrame) => {
    if (!f.cur) return;
    const w = f.cur;
    f.cur = undefined;
    if (f.redirect) {
      f.redirect = false;
      return;
    }
    if (f.words.length === 0 && w.lit === "case") f.cases++;
    if (f.words.length === 0 && w.lit === "esac") f.cases = Math.max(0, f.cases - 1);
    if (f.words.length === 0 && RESERVED.has(w.lit)) return;
    if (w.lit === "[[" && f.words.length === 0) f.testFrom = 0;
    f.words.push(w);
    if (w.lit === "]]" && f.testFrom !== undefined) endTest(f);
  };
  /** `[[ a -eq b ]]` evaluates a and b as arithmetic: known only once the test is read to its end. */
  const endTest = (f: CmdFrame) => {
    const words = f.words.slice(f.testFrom ?? 0).map((w) => w.lit);
    if (words.some((w) => ARITH_TESTS.has(w))) {
      for (const k of f.testSlots) {
        if (out[k]?.kind !== "refused")
          out[k] = {
            kind: "refused",
            why: "it stands in [[ … ]] with an arithmetic comparison, which bash evaluates as code",
            hint: 'compare numbers with [ "$n" -eq 3 ] (single brackets), which does not evaluate them',
          };
      }
    }
    f.testFrom = undefined;
    f.testSlots = [];
  };
  const endCommand = (f: CmdFrame) => {
    endWord(f);
    if (f.testFrom !== undefined) endTest(f);
    f.words = [];
    f.reader = new CommandReader();
    f.redirect = false;
  };
  const place = (slotNo: number, prevEscapes: boolean, prev: string) => {
    if (slotNo >= count) return;
    out[slotNo] = placementHere(prevEscapes, prev);
    const cmd = cmdFrame();
    if (cmd.testFrom !== undefined) cmd.testSlots.push(slotNo);
  };
  const placementHere = (prevEscapes: boolean, prev: string): Placement => {
    const f = top();
    switch (f.t) {
      case "sq":
      case "ansi":
        return {
          kind: "refused",
          why: "it stands inside single quotes, where the shell expands nothing, so no value can be filled in",
          hint: "close the quotes around it ('text '{{ x }}' more'), or use double quotes",
        };
      case "arith":
        return {
          kind: "refused",
          why: "it stands in arithmetic, which bash evaluates as code (an array index can run a command)",
          hint: "assign it to a shell variable first (n={{ x }}), give the variable a pattern: of digits, and compute with $n",
        };
      default:
    }
    if (prevEscapes) {
      return {
        kind: "refused",
        why: "a backslash right before it escapes the value's first character",
        hint: "remove the backslash",
      };
    }
    if (prev === "$") {
      return {
        kind: "refused",
        why: "a $ right before it turns the value into a shell expansion",
        hint: "remove the $ (the value is filled in as it is)",
      };
    }
    const code = codeReason(cmdFrame());
    if (code) return { kind: "refused", why: code, hint: CODE_HINT };
    return inQuotes() ? { kind: "quoted" } : { kind: "word" };
  };

  while (i < n) {
    const c = text[i] as string;
    const f = top();

    if (c === SLOT_OPEN) {
      const close = text.indexOf(SLOT_CLOSE, i);
      const slotNo = Number(text.slice(i + 1, close < 0 ? n : close));
      const prev = text[i - 1] ?? "";
      const escaped = prev === "\\" && countBackslashes(text, i - 1) % 2 === 1;
      place(slotNo, escaped, prev);
      if (f.t === "cmd" || f.t === "dq" || f.t === "param") addChar(slot(slotNo));
      i = close < 0 ? n : close + 1;
      continue;
    }

    switch (f.t) {
      case "sq":
        if (c === "'") {
          stack.pop();
        } else addChar(c);
        i++;
        continue;
      case "ansi":
        if (c === "\\") {
          i += text[i + 1] === SLOT_OPEN ? 1 : 2;
          continue;
        }
        if (c === "'") stack.pop();
        i++;
        continue;
      case "dq":
        if (c === "\\") {
          if (text[i + 1] === SLOT_OPEN) {
            i++;
            continue;
          }
          addChar(text[i + 1] ?? "");
          i += 2;
          continue;
        }
        if (c === '"') {
          stack.pop();
          i++;
          continue;
        }
        if (c === "$" || c === "`") {
          i = openExpansion(text, i, stack);
          continue;
        }
        addChar(c);
        i++;
        continue;
      case "param":
        if (c === "\\") {
          i += text[i + 1] === SLOT_OPEN ? 1 : 2;
          continue;
        }
        if (c === "}") {
          if (f.depth === 0) stack.pop();
          else f.depth--;
          i++;
          continue;
        }
        if (c === "{") f.depth++;
        if (c === "'" && !inQuotes()) {
          stack.push({ t: "sq" });
          i++;
          continue;
        }
        if (c === '"') {
          stack.push({ t: "dq" });
          i++;
          continue;
        }
        if (c === "$" || c === "`") {
          i = openExpansion(text, i, stack);
          continue;
        }
        i++;
        continue;
      case "arith":
        if (text.startsWith("))", i) && f.depth === 0) {
          stack.pop();
          i += 2;
          continue;
        }
        if (c === "(") f.depth++;
        else if (c === ")") f.depth = Math.max(0, f.depth - 1);
        else if (c === "$" || c === "`") {
          i = openExpansion(text, i, stack);
          continue;
        }
        i++;
        continue;
      case "cmd":
        break;
    }

    // cmd frame
    const cmd = f as CmdFrame;
    if (c === "\\") {
      if (text[i + 1] === "\n") {
        i += 2;
        continue;
      }
      if (text[i + 1] === SLOT_OPEN) {
        if (!cmd.cur) cmd.cur = { lit: "" };
        i++;
        continue;
      }
      addChar(text[i + 1] ?? "");
      i += 2;
      continue;
    }
    if (c === "'") {
      if (!cmd.cur) cmd.cur = { lit: "" };
      stack.push({ t: "sq" });
      i++;
      continue;
    }
    if (c === '"') {
      if (!cmd.cur) cmd.cur = { lit: "" };
      stack.push({ t: "dq" });
      i++;
      continue;
    }
    if (c === "$") {
      if (text[i + 1] === "'") {
        if (!cmd.cur) cmd.cur = { lit: "" };
        stack.push({ t: "ansi" });
        i += 2;
        continue;
      }
      if (!cmd.cur) cmd.cur = { lit: "" };
      i = openExpansion(text, i, stack);
      continue;
    }
    if (c === "`") {
      if (cmd.closer === "`") {
        endCommand(cmd);
        stack.pop();
        i++;
        continue;
      }
      if (!cmd.cur) cmd.cur = { lit: "" };
      i = openExpansion(text, i, stack);
      continue;
    }
    if (c === "#" && !cmd.cur) {
      // A comment runs to the end of the line.
      const nl = text.indexOf("\n", i);
      i = nl < 0 ? n : nl;
      continue;
    }
    if (c === " " || c === "\t") {
      endWord(cmd);
      i++;
      continue;
    }
    if (c === "\n") {
      endCommand(cmd);
      i++;
      if (heredocs.length > 0) i = skipHeredocBodies(text, i, heredocs.splice(0), out, count);
      continue;
    }
    if (c === ";" || c === "&" || c === "|") {
      endCommand(cmd);
      i++;
      continue;
    }
    if (c === "(") {
      if (!cmd.cur && cmd.words.length === 0 && text[i + 1] === "(") {
        stack.push({ t: "arith", depth: 0, closer: "))" });
        i += 2;
        continue;
      }
      endCommand(cmd);
      cmd.parens++;
      i++;
      continue;
    }
    if (c === ")") {
      if (cmd.parens > 0 || cmd.cases > 0) {
        if (cmd.parens > 0) cmd.parens--;
        endCommand(cmd);
        i++;
        continue;
      }
      if (cmd.closer === ")") {
        endCommand(cmd);
        stack.pop();
        i++;
        continue;
      }
      endCommand(cmd);
      i++;
      continue;
    }
    if (c === "<" || c === ">") {
      endWord(cmd);
      if (text.startsWith("<<<", i)) {
        cmd.redirect = true;
        i += 3;
        continue;
      }
      if (text.startsWith("<<", i)) {
        const h = readHeredocStart(text, i);
        heredocs.push({ ...h.doc, code: cachedHeredocReason(cmd) });
        i = h.next;
        continue;
      }
      // `2>&1`, `>&2`: the fd digits before were a word of their own; they are not an argument.
      const prev = cmd.words[cmd.words.length - 1];
      if (prev && /^\d+$/.test(prev.lit) && /\d$/.test(text.slice(Math.max(0, i - 1), i))) cmd.words.pop();
      i++;
      while (text[i] === ">" || text[i] === "&" || text[i] === "|") i++;
      if (/\d/.test(text[i] ?? "") && text[i - 1] === "&") {
        while (/\d/.test(text[i] ?? "")) i++;
        if (text[i] === "-") i++;
        continue;
      }
      cmd.redirect = true;
      continue;
    }
    addChar(c);
    i++;
  }
  for (const f of stack.frames) if (f.t === "cmd") endCommand(f);
  return out;
}

/** The error `runbook check` and the planner give for a value placed where it cannot be carried. */
export function placementError(expr: TemplateExpr, p: Extract<Placement, { kind: "refused" }>): RunbookError {
  return new RunbookError(
    "bad-template",
    `{{ ${expr.source} }} cannot be filled in here: ${p.why}`,
    expr.pos,
    p.hint,
  );
}

/**
 * Every `{{ }}` of a shell text (a command, a rollback, a wait-cmd) placed where no value can be
 * carried, as errors; `raw(expr)` says which are spliced on purpose and so exempt.
 */
export function misplacedValues(
  text: string,
  pos: SourcePos,
  raw: (e: TemplateExpr) => boolean,
): RunbookError[] {
  const exprs: TemplateExpr[] = [];
  let parts: ReturnType<typeof parseTemplate>;
  try {
    parts = parseTemplate(text, pos);
  } catch {
    return []; // the template itself is wrong: that is reported where templates are checked
  }
  const marked = parts.map((p) => (p.kind === "text" ? p.text : slot(exprs.push(p.expr) - 1))).join("");
  const errors: RunbookError[] = [];
  scanPlacements(marked, exprs.length).forEach((p, i) => {
    const expr = exprs[i] as TemplateExpr;
    if (p.kind === "refused" && !raw(expr)) errors.push(placementError(expr, p));
  });
  return errors;
}

/** At `$` or a backtick: pushes the frame it opens and returns where scanning goes on. */
function openExpansion(text: string, i: number, stack: FrameStack): number {
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

function newCmd(closer: CmdFrame["closer"]): CmdFrame {
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
class FrameStack {
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

function countBackslashes(text: string, at: number): number {
  let k = 0;
  while (at - k >= 0 && text[at - k] === "\\") k++;
  return k;
}

function readHeredocStart(text: string, i: number): { doc: Omit<PendingHeredoc, "code">; next: number } {
  let j = i + 2;
  const strip = text[j] === "-";
  if (strip) j++;
  while (text[j] === " " || text[j] === "\t") j++;
  let delim = "";
  let quoted = false;
  while (j < text.length && !/[\s;&|<>()]/.test(text[j] as string)) {
    const ch = text[j] as string;
    if (ch === "'" || ch === '"') {
      quoted = true;
      const end = text.indexOf(ch, j + 1);
      delim += text.slice(j + 1, end < 0 ? text.length : end);
      j = end < 0 ? text.length : end + 1;
      continue;
    }
    if (ch === "\\") {
      quoted = true;
      delim += text[j + 1] ?? "";
      j += 2;
      continue;
    }
    delim += ch;
    j++;
  }
  return { doc: { delim, strip, quoted }, next: j };
}

/** Skips here-document bodies starting at `i` (the line after their `<<`), placing the slots in them. */
function skipHeredocBodies(
  text: string,
  i: number,
  docs: PendingHeredoc[],
  out: Placement[],
  count: number,
): number {
  let at = i;
  for (const doc of docs) {
    while (at < text.length) {
      const nl = text.indexOf("\n", at);
      const end = nl < 0 ? text.length : nl;
      const line = text.slice(at, end);
      const bare = doc.strip ? line.replace(/^\t+/, "") : line;
      if (bare === doc.delim) {
        at = nl < 0 ? text.length : nl + 1;
        break;
      }
      for (const m of line.matchAll(/\uE000(\d+)\uE001/g)) {
        const k = Number(m[1]);
        if (k >= count) continue;
        const before = line[(m.index ?? 0) - 1] ?? "";
        if (doc.quoted) {
          out[k] = {
            kind: "refused",
            why: "it stands in a quoted here-document (<<'EOF'), where the shell expands nothing",
            hint: "write the delimiter unquoted (<<EOF) so values are filled in, or use a file block (```ini {file=…})",
          };
        } else if (doc.code) {
          out[k] = { kind: "refused", why: doc.code, hint: CODE_HINT };
        } else if (before === "\\" || before === "$") {
          out[k] = {
            kind: "refused",
            why: `a ${before} right before it changes what the value means`,
            hint: `remove the ${before}`,
          };
        } else out[k] = { kind: "quoted", heredoc: true };
      }
      at = nl < 0 ? text.length : nl + 1;
    }
  }
  return at;
}

const CODE_HINT =
  "pass the value as an argument instead of in the code, e.g. bash -c '… \"$1\" …' _ {{ x }}, or mark the variable raw if it is meant to be code";

/**
 * Why the word being read in `cmd` is code for another parser, if it is: the script of `bash -c`,
 * anything after `eval`, the remote command of `ssh`, a `python3 -c` program, an awk or sed script.
 */
function codeReason(cmd: CmdFrame): string | undefined {
  return cmd.reader.reasonAfter(cmd.words);
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;
const ENV_ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
const SHELL_C = /^-[A-Za-z]*c[A-Za-z]*$/;

/**
 * Reads the words of one simple command, one at a time, and answers for a value in the word after
 * them. Leading assignments are skipped, then prefixes such as `sudo -u x` or `timeout 5` with their
 * options, up to the command's name; what follows depends on the command. Each word is read once, so
 * a command of many words with a value in each costs time linear in its length.
 */
class CommandReader {
  private read = 0;
  private mode: "assign" | "next" | "opts" | "after-dashes" | "command" | "code" = "assign";
  private code: string | undefined;
  // A prefix (`sudo`, `timeout`, ...) and its options.
  private prefix = "";
  private takesArg: string[] = [];
  private shellFlag = false;
  private skipNext = false;
  // The command.
  private name = "";
  private args: string[] = [];
  /** The first shell word, and the first word of each interpreter, from the command's name on. */
  private firstShell: { name: string; at: number } | undefined;
  private readonly firstInterpreter = new Map<string, number>();
  private sshNext = 0;
  private sshHost = false;
  private suCommand = -1;
  private progAt = 0;
  private progGiven = false;
  private progStopped = false;

  reasonAfter(words: Word[]): string | undefined {
    for (; this.read < words.length; this.read++) this.take((words[this.read] as Word).lit, this.read);
    return this.reason();
  }

  private take(w: string, at: number): void {
    switch (this.mode) {
      case "assign":
        if (!ASSIGNMENT.test(w)) this.commandWord(w, at);
        return;
      case "next":
        this.commandWord(w, at);
        return;
      case "after-dashes":
        if (this.prefix === "timeout" && /^\d/.test(w)) this.mode = "next";
        else this.commandWord(w, at);
        return;
      case "opts":
        this.option(w, at);
        return;
      case "command":
        this.arg(w, at);
        return;
      case "code":
        return;
    }
  }

  private commandWord(w: string, at: number): void {
    const name = basename(w);
    if (PREFIXES.has(name)) {
      this.mode = "opts";
      this.prefix = name;
      this.takesArg = PREFIX_ARGS[name] ?? [];
      this.shellFlag = false;
      this.skipNext = false;
      return;
    }
    this.mode = "command";
    this.name = name;
    this.noteInterpreter(name, at);
  }

  private option(w: string, at: number): void {
    if (this.skipNext) {
      this.skipNext = false;
      return;
    }
    if (this.prefix === "env" && ENV_ASSIGNMENT.test(w)) return;
    if (!w.startsWith("-") || w === "-") {
      if (this.prefix === "timeout" && /^\d/.test(w)) this.mode = "next";
      else if (this.shellFlag) this.toCode();
      else this.commandWord(w, at);
      return;
    }
    if (w === "--") {
      if (this.shellFlag) this.toCode();
      else this.mode = "after-dashes";
      return;
    }
    if (
      (this.prefix === "sudo" || this.prefix === "doas") &&
      /^-[A-Za-z]*[si]/.test(w) &&
      !w.startsWith("--")
    )
      this.shellFlag = true;
    if (this.takesArg.includes(w)) this.skipNext = true;
  }

  private toCode(): void {
    this.mode = "code";
    this.code = `${this.prefix} -s hands the words after it to a shell, which parses them as code`;
  }

  private noteInterpreter(word: string, at: number): void {
    const w = basename(word);
    if (SHELLS.has(w)) {
      if (!this.firstShell) this.firstShell = { name: w, at };
    } else if (INTERPRETERS[w] && !this.firstInterpreter.has(w)) this.firstInterpreter.set(w, at);
  }

  private arg(w: string, at: number): void {
    const j = this.args.length;
    this.args.push(w);
    this.noteInterpreter(w, at);
    if (this.name === "ssh" && !this.sshHost && j === this.sshNext) {
      if (!w.startsWith("-")) this.sshHost = true;
      else this.sshNext = j + (SSH_ARGS.has(w) ? 2 : 1);
    }
    if (
      (this.name === "su" || this.name === "runuser") &&
      this.suCommand < 0 &&
      (w === "-c" || w === "--command" || w.startsWith("--command="))
    )
      this.suCommand = j;
    if (AWKS.has(this.name) || this.name === "sed") this.advanceProgram();
  }

  /** Options of awk or sed, up to the program (the first word that is neither an option nor its value). */
  private advanceProgram(): void {
    const valued = this.name === "sed" ? ["-e", "-f", "-l"] : ["-v", "-F", "-f"];
    const n = this.args.length;
    while (!this.progStopped && this.progAt < n) {
      const w = this.args[this.progAt] as string;
      if (!w.startsWith("-") || w === "-") {
        this.progStopped = true;
        return;
      }
      if (w === "-e" || w === "-f") this.progGiven = true;
      if (valued.includes(w)) {
        if (this.progAt + 1 === n) return; // its value is the next word
        this.progAt += 2;
      } else this.progAt++;
    }
  }

  private reason(): string | undefined {
    if (this.mode === "code") return this.code;
    if (this.mode === "opts") return this.shellFlag && !this.skipNext ? this.toCodeText() : undefined;
    if (this.mode !== "command") return undefined;
    const name = this.name;
    if (name === "eval") return "eval parses its arguments as shell code";
    if (name === "let") return "let evaluates its arguments as arithmetic, which bash treats as code";
    if (name === "watch") return "watch runs its arguments with sh -c, which parses them as code";
    if (name === "ssh")
      return this.sshHost
        ? "ssh sends the words after the machine to a remote shell, which parses them as code"
        : undefined;
    if (name === "su" || name === "runuser") {
      return this.suCommand >= 0 && this.suCommand === this.args.length - 1
        ? `${name} -c hands its command to a shell, which parses it as code`
        : undefined;
    }
    // A shell with -c anywhere in the command (`docker exec x sh -c`, `xargs sh -c`): its script word.
    const opt = this.args[this.args.length - 1];
    if (opt !== undefined) {
      // Words before the option: the command's name and its arguments but the last (read - 2 at most).
      const before = this.read - 1;
      let best: { at: number; text: string } | undefined;
      if (this.firstShell && this.firstShell.at < before && SHELL_C.test(opt))
        best = {
          at: this.firstShell.at,
          text: `${this.firstShell.name} -c parses the word after it as shell code`,
        };
      for (const [w, at] of this.firstInterpreter) {
        if (at >= before || (best && best.at < at)) continue;
        const flags = INTERPRETERS[w] as string[];
        if (flags.includes(opt)) best = { at, text: `${w} ${opt} runs the word after it as ${w} code` };
      }
      if (best) return best.text;
    }
    if (AWKS.has(name) || name === "sed") {
      const n = this.args.length;
      if (!this.progStopped && this.progAt < n) {
        // The last word is an option whose value the value would be.
        const w = this.args[this.progAt];
        return w === "-e" && name === "sed"
          ? "sed -e runs the word after it as a sed script (which can run commands)"
          : undefined;
      }
      if (!this.progGiven && this.progAt === n)
        return `it stands in the ${name} program, which ${name} runs as code`;
    }
    return undefined;
  }

  private toCodeText(): string {
    return `${this.prefix} -s hands the words after it to a shell, which parses them as code`;
  }
}

/** heredocCodeReason, asked once for the same words however many here-documents a command opens. */
function cachedHeredocReason(cmd: CmdFrame): string | undefined {
  const c = cmd.heredoc;
  if (c && c.words === cmd.words.length && c.cur === cmd.cur?.lit) return c.reason;
  const reason = heredocCodeReason(cmd);
  cmd.heredoc = { words: cmd.words.length, cur: cmd.cur?.lit, reason };
  return reason;
}

/** A here-document is code when the command reading it is a shell or an interpreter (`bash <<EOF`). */
function heredocCodeReason(cmd: CmdFrame): string | undefined {
  const words = [...cmd.words.map((w) => w.lit), ...(cmd.cur ? [cmd.cur.lit] : [])];
  let k = 0;
  while (k < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[k] ?? "")) k++;
  while (k < words.length && PREFIXES.has(basename(words[k] ?? ""))) {
    const name = basename(words[k] ?? "");
    const takesArg = PREFIX_ARGS[name] ?? [];
    k++;
    while (k < words.length && (words[k] ?? "").startsWith("-"))
      k += takesArg.includes(words[k] ?? "") ? 2 : 1;
    if (name === "timeout" && /^\d/.test(words[k] ?? "")) k++;
  }
  const name = basename(words[k] ?? "");
  if (SHELLS.has(name) || name in INTERPRETERS || name === "ssh" || name === "su" || name === "eval")
    return `it stands in a here-document that ${name} reads as code`;
  return undefined;
}

function basename(word: string): string {
  return word.slice(word.lastIndexOf("/") + 1);
}
