import type { RunbookWarning, SourcePos } from "./runbook.ts";

export type ErrorCode =
  | "yaml"
  | "front-matter"
  | "unknown-key"
  | "unknown-attribute"
  | "bad-attribute"
  | "unknown-role"
  | "unknown-target"
  | "undefined-variable"
  | "bad-template"
  | "duplicate-id"
  | "include-missing"
  | "include-cycle"
  | "unterminated-fence"
  | "bad-variable"
  | "inventory"
  | "plan"
  /** Refused before anything ran (a live runner holds the run, a lock): exit 4. */
  | "refused"
  | "io"
  /** `runbook import` could not write a runbook the checker accepts. */
  | "import"
  | "usage";

/** A problem the user can fix: always carries where and what to do, never needs a stack trace. */
export class RunbookError extends Error {
  override readonly name = "RunbookError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly pos?: SourcePos,
    readonly hint?: string,
  ) {
    super(message);
  }

  /** `file:line:col: message (hint)`, the form editors and terminals link to. */
  format(cwd?: string): string {
    const where = this.pos ? `${displayPath(this.pos.file, cwd)}:${this.pos.line}:${this.pos.col}: ` : "";
    return `${where}${this.message}${this.hint ? `\n  hint: ${this.hint}` : ""}`;
  }
}

/** Several errors found in one pass, so `check` reports them all at once. */
export class RunbookErrors extends Error {
  override readonly name = "RunbookErrors";
  constructor(
    readonly errors: RunbookError[],
    /** What the same read warned of (shown beside the errors). */
    readonly warnings: RunbookWarning[] = [],
  ) {
    super(errors.map((e) => e.format()).join("\n"));
  }
}

export function displayPath(file: string, cwd = process.cwd()): string {
  return file.startsWith(`${cwd}/`) ? file.slice(cwd.length + 1) : file;
}

/** `file:line:col: warning: message`, beside the errors' form. */
export function formatWarning(w: RunbookWarning, cwd?: string): string {
  return `${displayPath(w.pos.file, cwd)}:${w.pos.line}:${w.pos.col}: warning: ${w.message}`;
}
