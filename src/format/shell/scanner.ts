import { type Frame, FrameStack, openExpansion } from "./frames.ts";
import type { PendingHeredoc } from "./heredocs.ts";
import { type Placement, placementIn, SLOT_CLOSE, SLOT_OPEN, slot } from "./placement.ts";
import { unquoted } from "./unquoted.ts";
import { endCommand } from "./words.ts";

/**
 * Returns the placement of every slot in `text` (slot numbers are indexes into the result). A slot
 * that the scan never reaches (inside a comment) counts as a word.
 */
export function scanPlacements(text: string, count: number): Placement[] {
  return new Scanner(text, count).run();
}

/**
 * One pass over the text with an explicit stack of frames (no recursion a document could exhaust). Each
 * kind of frame reads a character its own way; `unquoted.ts` reads those of a command.
 */
export class Scanner {
  readonly out: Placement[];
  readonly stack = new FrameStack();
  /** Here-documents opened on the current line, whose bodies start on the next. */
  readonly heredocs: PendingHeredoc[] = [];
  /** Where the scan stands in `text`. */
  i = 0;

  constructor(
    readonly text: string,
    readonly count: number,
  ) {
    this.out = Array.from({ length: count }, () => ({ kind: "word" }) as Placement);
  }

  run(): Placement[] {
    while (this.i < this.text.length) {
      const c = this.text[this.i] as string;
      const f = this.stack.top();
      if (c === SLOT_OPEN) this.slotAt(f);
      else this.step(f, c);
    }
    for (const f of this.stack.frames) if (f.t === "cmd") endCommand(f, this.out);
    return this.out;
  }

  /** Adds to the word being read in the nearest command, which quotes and `${` are part of. */
  addChar(c: string): void {
    const f = this.stack.cmdFrame();
    if (!f.cur) f.cur = { lit: "" };
    f.cur.lit += c;
  }

  /** At `$` or a backtick: opens the frame of that expansion. */
  expansion(): void {
    this.i = openExpansion(this.text, this.i, this.stack);
  }

  private slotAt(f: Frame): void {
    const { text, i } = this;
    const close = text.indexOf(SLOT_CLOSE, i);
    const slotNo = Number(text.slice(i + 1, close < 0 ? text.length : close));
    const prev = text[i - 1] ?? "";
    const escaped = prev === "\\" && countBackslashes(text, i - 1) % 2 === 1;
    this.place(slotNo, escaped, prev);
    if (f.t === "cmd" || f.t === "dq" || f.t === "param") this.addChar(slot(slotNo));
    this.i = close < 0 ? text.length : close + 1;
  }

  private place(slotNo: number, prevEscapes: boolean, prev: string): void {
    if (slotNo >= this.count) return;
    this.out[slotNo] = placementIn(this.stack, prevEscapes, prev);
    const cmd = this.stack.cmdFrame();
    if (cmd.testFrom !== undefined) cmd.testSlots.push(slotNo);
  }

  private step(f: Frame, c: string): void {
    switch (f.t) {
      case "sq":
        return this.singleQuoted(c);
      case "ansi":
        return this.ansiQuoted(c);
      case "dq":
        return this.doubleQuoted(c);
      case "param":
        return this.parameter(f, c);
      case "arith":
        return this.arithmetic(f, c);
      case "cmd":
        return unquoted(this, f, c);
    }
  }

  private singleQuoted(c: string): void {
    if (c === "'") this.stack.pop();
    else this.addChar(c);
    this.i++;
  }

  /** `$'…'`: a backslash escapes the next character, but a slot after it is still placed. */
  private ansiQuoted(c: string): void {
    if (c === "\\") {
      this.i += this.text[this.i + 1] === SLOT_OPEN ? 1 : 2;
      return;
    }
    if (c === "'") this.stack.pop();
    this.i++;
  }

  private doubleQuoted(c: string): void {
    if (c === "\\") {
      if (this.text[this.i + 1] === SLOT_OPEN) {
        this.i++;
        return;
      }
      this.addChar(this.text[this.i + 1] ?? "");
      this.i += 2;
      return;
    }
    if (c === '"') {
      this.stack.pop();
      this.i++;
      return;
    }
    if (c === "$" || c === "`") return this.expansion();
    this.addChar(c);
    this.i++;
  }

  /** `${…}`, which braces nest in and quotes open in. */
  private parameter(f: Extract<Frame, { t: "param" }>, c: string): void {
    if (c === "\\") {
      this.i += this.text[this.i + 1] === SLOT_OPEN ? 1 : 2;
      return;
    }
    if (c === "}") {
      if (f.depth === 0) this.stack.pop();
      else f.depth--;
      this.i++;
      return;
    }
    if (c === "{") f.depth++;
    if (c === "'" && !this.stack.inQuotes()) {
      this.stack.push({ t: "sq" });
      this.i++;
      return;
    }
    if (c === '"') {
      this.stack.push({ t: "dq" });
      this.i++;
      return;
    }
    if (c === "$" || c === "`") return this.expansion();
    this.i++;
  }

  /** `$((…))` or `((…))`, up to the `))` that closes it. */
  private arithmetic(f: Extract<Frame, { t: "arith" }>, c: string): void {
    if (this.text.startsWith("))", this.i) && f.depth === 0) {
      this.stack.pop();
      this.i += 2;
      return;
    }
    if (c === "(") f.depth++;
    else if (c === ")") f.depth = Math.max(0, f.depth - 1);
    else if (c === "$" || c === "`") return this.expansion();
    this.i++;
  }
}

function countBackslashes(text: string, at: number): number {
  let k = 0;
  while (at - k >= 0 && text[at - k] === "\\") k++;
  return k;
}
