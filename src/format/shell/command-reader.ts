import { AWKS, basename, INTERPRETERS, PREFIX_ARGS, PREFIXES, SHELLS, SSH_ARGS } from "./command-names.ts";
import type { Word } from "./frames.ts";

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;
const ENV_ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
const SHELL_C = /^-[A-Za-z]*c[A-Za-z]*$/;

/**
 * Reads the words of one simple command, one at a time, and answers for a value in the word after
 * them. Leading assignments are skipped, then prefixes such as `sudo -u x` or `timeout 5` with their
 * options, up to the command's name; what follows depends on the command. Each word is read once, so
 * a command of many words with a value in each costs time linear in its length.
 */
export class CommandReader {
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
