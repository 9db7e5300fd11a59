import { CommandReader } from "./command-reader.ts";
import type { CmdFrame } from "./frames.ts";
import { type Placement, refused } from "./placement.ts";

/** Reserved words that start a command without being its name. */
const RESERVED = new Set(["if", "then", "else", "elif", "do", "while", "until", "!", "{", "time", "in"]);
const ARITH_TESTS = new Set(["-eq", "-ne", "-lt", "-le", "-gt", "-ge"]);

/** Ends the word being read in `f`: a redirection's target is dropped, reserved words and `[[` noted. */
export function endWord(f: CmdFrame, out: Placement[]): void {
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
  if (w.lit === "]]" && f.testFrom !== undefined) endTest(f, out);
}

/** `[[ a -eq b ]]` evaluates a and b as arithmetic: known only once the test is read to its end. */
function endTest(f: CmdFrame, out: Placement[]): void {
  const words = f.words.slice(f.testFrom ?? 0).map((w) => w.lit);
  if (words.some((w) => ARITH_TESTS.has(w))) {
    for (const k of f.testSlots) {
      if (out[k]?.kind !== "refused") out[k] = refused("arithmeticTest");
    }
  }
  f.testFrom = undefined;
  f.testSlots = [];
}

/** Ends the simple command being read in `f`: the next word is a command's name again. */
export function endCommand(f: CmdFrame, out: Placement[]): void {
  endWord(f, out);
  if (f.testFrom !== undefined) endTest(f, out);
  f.words = [];
  f.reader = new CommandReader();
  f.redirect = false;
}
