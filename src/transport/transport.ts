/** How the engine reaches a machine. One implementation per kind: local (zx) and ssh (ssh2). */
import type { Become } from "./become.ts";

export type { Become } from "./become.ts";

export interface ExecOptions {
  /** Kill the command (and everything it started) after this long. */
  timeoutMs?: number;
  /** Aborting kills the command (and everything it started) on the machine. */
  signal?: AbortSignal;
  /**
   * The script is about to be sent to the machine (the connection is up): from here on it may run
   * there, whatever happens to the runner or the connection.
   */
  onSend?(): void;
  /**
   * The script has started on the machine: the PID of its process group, and what tells that process
   * from a later one with the same PID (start time and boot id where the machine has /proc; may be "").
   */
  onStart?(process: RemoteProcess): void;
  onStdout?(chunk: string): void;
  onStderr?(chunk: string): void;
  /** Run it as this user of the machine, with sudo (see become.ts); absent: as the login user. */
  become?: Become;
}

export interface RemoteProcess {
  pid: number;
  id: string;
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
  /**
   * Runs a bash script on the machine, streaming its output. The script reaches bash on its standard
   * input (never on a command line); the script's own standard input is /dev/null. Never throws for a
   * failing command; throws TransportError "lost" when the connection went away while it ran, so its
   * fate is unknown.
   */
  exec(script: string, opts?: ExecOptions): Promise<ExecResult>;
  /**
   * Checks what can be checked without logging in (key files, passphrases), so a mistake shows before
   * the run logs into any machine; throws TransportError "config" naming the inventory's file:line.
   */
  prepare?(): Promise<void>;
  /** Reaches the machine now (host key, login), so a problem shows before any command runs. */
  open(): Promise<void>;
  /**
   * Writes a file on the machine, creating its directory; `~/` means the login user's home, or with
   * `become` that user's (who then owns the file).
   */
  upload(path: string, content: string, mode: number, become?: Become): Promise<void>;
  close(): Promise<void>;
}

export type TransportErrorCode =
  | "connect-failed"
  | "auth-failed"
  | "host-key-unknown"
  | "host-key-changed"
  | "upload-failed"
  /** The inventory says how to log in in a way that cannot work (a missing key file, say). */
  | "config"
  /** The connection went away while a command ran: it may have finished, failed, or still be running. */
  | "lost"
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
  /** The host is a bastion (jump host), logged into on the way to this machine. */
  bastionFor?: string;
}

/** Decides about an unknown host key: true accepts it (and it is added to known_hosts). */
export type HostKeyDecider = (q: HostKeyQuestion) => Promise<boolean>;
