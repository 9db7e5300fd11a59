/** How the engine reaches a machine. One implementation per kind: local (zx) and ssh (ssh2). */

export interface ExecOptions {
  /** Kill the command (and everything it started) after this long. */
  timeoutMs?: number;
  /** Aborting kills the command (and everything it started) on the machine. */
  signal?: AbortSignal;
  /** Extra environment for the command. */
  env?: Record<string, string>;
  /** Written to the command's standard input, then closed. */
  stdin?: string;
  onStdout?(chunk: string): void;
  onStderr?(chunk: string): void;
}

export interface ExecResult {
  /** Exit code, or null when the command was killed. */
  code: number | null;
  /** The signal that killed the command (`TERM`, `KILL`, ...), when one did and nobody asked for it. */
  signal?: string;
  timedOut: boolean;
  cancelled: boolean;
}

export interface Transport {
  readonly host: string;
  /** Runs `command` with bash on the machine, streaming its output. Never throws for a failing command. */
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Writes a file on the machine, creating its directory; `~/` means the login user's home. */
  upload(path: string, content: string, mode: number): Promise<void>;
  close(): Promise<void>;
}

export type TransportErrorCode =
  | "connect-failed"
  | "auth-failed"
  | "host-key-unknown"
  | "host-key-changed"
  | "upload-failed"
  | "closed";

export class TransportError extends Error {
  override readonly name = "TransportError";
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    readonly host: string,
  ) {
    super(message);
  }
}

/** What the operator is shown for a host key that is not in known_hosts yet. */
export interface HostKeyQuestion {
  host: string;
  address: string;
  port: number;
  keyType: string;
  /** `SHA256:...` exactly as `ssh-keygen -lf` prints it. */
  fingerprint: string;
}

/** Decides about an unknown host key: true accepts it (and it is added to known_hosts). */
export type HostKeyDecider = (q: HostKeyQuestion) => Promise<boolean>;
