import type { CmdFrame } from "./frames.ts";
import { cachedHeredocReason, readHeredocStart, skipHeredocBodies } from "./heredocs.ts";
import { SLOT_OPEN } from "./placement.ts";
import type { Scanner } from "./scanner.ts";
import { endCommand, endWord } from "./words.ts";

/** Reads one character of a command (outside quotes); `c` is `s.text[s.i]`. */
type Reader = (s: Scanner, cmd: CmdFrame, c: string) => void;

/** Reads a character of a command: the ones with a meaning to the shell have a reader, others are a word's. */
export function unquoted(s: Scanner, cmd: CmdFrame, c: string): void {
  const read = READERS.get(c);
  if (read) return read(s, cmd, c);
  s.addChar(c);
  s.i++;
}

/** A quote or expansion starts a word even when it turns out empty (`''` is an argument). */
function startWord(cmd: CmdFrame): void {
  if (!cmd.cur) cmd.cur = { lit: "" };
}

const backslash: Reader = (s, cmd) => {
  const next = s.text[s.i + 1];
  if (next === "\n") {
    s.i += 2;
    return;
  }
  if (next === SLOT_OPEN) {
    startWord(cmd);
    s.i++;
    return;
  }
  s.addChar(next ?? "");
  s.i += 2;
};

const quote: Reader = (s, cmd, c) => {
  startWord(cmd);
  s.stack.push({ t: c === "'" ? "sq" : "dq" });
  s.i++;
};

const dollar: Reader = (s, cmd) => {
  startWord(cmd);
  if (s.text[s.i + 1] === "'") {
    s.stack.push({ t: "ansi" });
    s.i += 2;
    return;
  }
  s.expansion();
};

const backtick: Reader = (s, cmd) => {
  if (cmd.closer === "`") {
    endCommand(cmd, s.out);
    s.stack.pop();
    s.i++;
    return;
  }
  startWord(cmd);
  s.expansion();
};

/** A comment runs to the end of the line; a `#` inside a word is part of it. */
const hash: Reader = (s, cmd, c) => {
  if (cmd.cur) {
    s.addChar(c);
    s.i++;
    return;
  }
  const nl = s.text.indexOf("\n", s.i);
  s.i = nl < 0 ? s.text.length : nl;
};

const blank: Reader = (s, cmd) => {
  endWord(cmd, s.out);
  s.i++;
};

const newline: Reader = (s, cmd) => {
  endCommand(cmd, s.out);
  s.i++;
  if (s.heredocs.length > 0) s.i = skipHeredocBodies(s.text, s.i, s.heredocs.splice(0), s.out, s.count);
};

const separator: Reader = (s, cmd) => {
  endCommand(cmd, s.out);
  s.i++;
};

/** `((` at a command's start is arithmetic; any other `(` a subshell or a case pattern's. */
const openParen: Reader = (s, cmd) => {
  if (!cmd.cur && cmd.words.length === 0 && s.text[s.i + 1] === "(") {
    s.stack.push({ t: "arith", depth: 0, closer: "))" });
    s.i += 2;
    return;
  }
  endCommand(cmd, s.out);
  cmd.parens++;
  s.i++;
};

const closeParen: Reader = (s, cmd) => {
  if (cmd.parens > 0 || cmd.cases > 0) {
    if (cmd.parens > 0) cmd.parens--;
    endCommand(cmd, s.out);
    s.i++;
    return;
  }
  endCommand(cmd, s.out);
  if (cmd.closer === ")") s.stack.pop();
  s.i++;
};

/** `<`, `>` and their kinds: the word after is a target (or a here-document's delimiter), not an argument. */
const redirection: Reader = (s, cmd) => {
  const { text } = s;
  endWord(cmd, s.out);
  if (text.startsWith("<<<", s.i)) {
    cmd.redirect = true;
    s.i += 3;
    return;
  }
  if (text.startsWith("<<", s.i)) {
    const h = readHeredocStart(text, s.i);
    s.heredocs.push({ ...h.doc, code: cachedHeredocReason(cmd) });
    s.i = h.next;
    return;
  }
  // `2>&1`, `>&2`: the fd digits before were a word of their own; they are not an argument.
  const prev = cmd.words[cmd.words.length - 1];
  if (prev && /^\d+$/.test(prev.lit) && /\d$/.test(text.slice(Math.max(0, s.i - 1), s.i))) cmd.words.pop();
  s.i++;
  while (text[s.i] === ">" || text[s.i] === "&" || text[s.i] === "|") s.i++;
  if (/\d/.test(text[s.i] ?? "") && text[s.i - 1] === "&") {
    while (/\d/.test(text[s.i] ?? "")) s.i++;
    if (text[s.i] === "-") s.i++;
    return;
  }
  cmd.redirect = true;
};

const READERS = new Map<string, Reader>([
  ["\\", backslash],
  ["'", quote],
  ['"', quote],
  ["$", dollar],
  ["`", backtick],
  ["#", hash],
  [" ", blank],
  ["\t", blank],
  ["\n", newline],
  [";", separator],
  ["&", separator],
  ["|", separator],
  ["(", openParen],
  [")", closeParen],
  ["<", redirection],
  [">", redirection],
]);
