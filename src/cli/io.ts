/** The CLI's view of the terminal, injected so commands can be run in tests without real stdio. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Colours on: a terminal and NO_COLOR unset. */
  color: boolean;
  cwd: string;
  env: Record<string, string | undefined>;
  /** Aborted when the operator interrupts (Ctrl-C): running commands are stopped and the run is left resumable. */
  signal?: AbortSignal;
  /** Present only when both stdin and stdout are a terminal: the interactive UI renders here. */
  terminal?: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream };
}
