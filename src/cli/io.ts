/** The CLI's view of the terminal, injected so commands can be run in tests without real stdio. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Colours on: a terminal and NO_COLOR unset. */
  color: boolean;
  cwd: string;
  env: Record<string, string | undefined>;
  /**
   * Catches Ctrl-C, SIGTERM and SIGHUP from here on, as an AbortSignal: a run stops its commands on
   * every machine and is left resumable. Only a run asks for it; until then (and in every other
   * command) a signal ends the process at once, even in the middle of a long parse.
   */
  interrupts?(): AbortSignal;
  /** Present only when both stdin and stdout are a terminal: the interactive UI renders here. */
  terminal?: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream };
}
