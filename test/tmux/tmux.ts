// Drives real programs in a real tmux server: one server per test file (its own -L socket), sessions
// of a given size, keys sent with send-keys, the screen read with capture-pane.

import { spawnSync } from "node:child_process";

export interface Screen {
  /** The visible rows, as text. */
  text: string;
  rows: string[];
}

export class Tmux {
  constructor(readonly socket: string) {}

  private tmux(args: string[], check = true): string {
    const r = spawnSync("tmux", ["-L", this.socket, ...args], { encoding: "utf8" });
    if (check && r.status !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr || r.status}`);
    return r.stdout;
  }

  /**
   * Starts `command` in a new session of the given size, through bash. When it ends, the pane shows
   * `EXIT=<code>` and stays open, so a test can read what the program left behind.
   */
  start(
    name: string,
    command: string,
    opts: { columns?: number; rows?: number; cwd?: string; env?: Record<string, string> } = {},
  ): void {
    // CI must not reach the program: ink renders non-interactively when it is set.
    const env = Object.entries({ TERM: "xterm-256color", ...opts.env })
      .map(([k, v]) => `${k}=${shellWord(v)}`)
      .join(" ");
    const script = `cd ${shellWord(opts.cwd ?? process.cwd())} && env -u CI ${env} ${command}; echo "EXIT=$?"; exec sleep 100000`;
    this.newSession([
      "new-session",
      "-d",
      "-s",
      name,
      "-x",
      String(opts.columns ?? 80),
      "-y",
      String(opts.rows ?? 24),
      "bash",
      "--noprofile",
      "--norc",
      "-c",
      script,
    ]);
    // A window sized by the session, not by an attached client (there is none).
    this.tmux(["set-option", "-t", name, "window-size", "manual"], false);
  }

  /** A server still shutting down on the socket refuses the first session: one more try then. */
  private newSession(args: string[]): void {
    try {
      this.tmux(args);
    } catch (e) {
      if (!String(e).includes("server exited unexpectedly")) throw e;
      Bun.sleepSync(300);
      this.tmux(args);
    }
  }

  /** Named keys (Enter, Up, Tab, Escape, PPage, BSpace) or literal text, one send-keys each. */
  keys(name: string, ...keys: string[]): void {
    for (const k of keys) this.tmux(["send-keys", "-t", name, k]);
  }

  /** Text typed as is, not looked up as key names. */
  type(name: string, text: string): void {
    this.tmux(["send-keys", "-t", name, "-l", text]);
  }

  resize(name: string, columns: number, rows: number): void {
    this.tmux(["resize-window", "-t", name, "-x", String(columns), "-y", String(rows)]);
  }

  /** The screen; with `escapes`, colours and attributes included (capture-pane -e). */
  capture(name: string, escapes = false): Screen {
    const text = this.tmux(["capture-pane", "-p", ...(escapes ? ["-e"] : []), "-t", name]);
    const rows = text.replace(/\n$/, "").split("\n");
    return { text, rows };
  }

  /**
   * Polls the screen until `check` holds (a text it contains, a pattern it matches, or a predicate),
   * and returns it; fails after `timeoutMs` with the last screen in the message.
   */
  async waitFor(
    name: string,
    check: string | RegExp | ((s: Screen) => boolean),
    timeoutMs = 20_000,
  ): Promise<Screen> {
    const ok =
      typeof check === "string"
        ? (s: Screen) => s.text.includes(check)
        : check instanceof RegExp
          ? (s: Screen) => check.test(s.text)
          : check;
    const until = Date.now() + timeoutMs;
    let last: Screen = { text: "", rows: [] };
    for (;;) {
      last = this.capture(name);
      if (ok(last)) return last;
      if (Date.now() > until)
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${String(check)}; the screen:\n${last.text}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The exit code the program left (`EXIT=n`), once it has ended. */
  async exitCode(name: string, timeoutMs = 20_000): Promise<number> {
    const s = await this.waitFor(name, /EXIT=\d+/, timeoutMs);
    return Number(/EXIT=(\d+)/.exec(s.text)?.[1]);
  }

  /** Stops the server and every session in it; safe to call when it never started. */
  kill(): void {
    this.tmux(["kill-server"], false);
  }
}

export function shellWord(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
