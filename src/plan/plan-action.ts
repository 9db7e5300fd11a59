import { REGEX_HINT } from "../format/actions.ts";
import { RunbookError } from "../model/errors.ts";
import type { PlannedAction } from "../model/plan.ts";
import type { Action, FileAction, ShellAction, TsAction } from "../model/runbook.ts";
import type { HostScope, RenderMode } from "./scope.ts";
import { compileShell } from "./shell-script.ts";

export const DEFAULT_COMMAND_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_WAIT_TIMEOUT_MS = 2 * 60_000;

/** One action on one machine, with that machine's values: exactly what will run there. */
export function planAction(action: Action, scope: HostScope): PlannedAction {
  switch (action.kind) {
    case "shell":
      return planShell(action, scope);
    case "file":
      return planFile(action, scope);
    case "ts":
      return planTs(action);
  }
}

/** Where the block's body starts: the line after its fence. */
function bodyPos(action: Action): Action["pos"] {
  return { ...action.pos, line: action.pos.line + 1, col: 1 };
}

function planShell(action: ShellAction, scope: HostScope): PlannedAction {
  const attr = (text: string | undefined, mode: RenderMode = "text") =>
    text === undefined ? undefined : scope.render(text, mode, action.pos);
  const cmd = compileShell(action.command, bodyPos(action), scope);
  const wait = action.wait;
  const waitCmd = wait?.kind === "command" ? compileShell(wait.target, action.pos, scope) : undefined;
  const waitTarget = wait
    ? waitCmd
      ? { text: waitCmd.display, deferred: waitCmd.deferred }
      : attr(wait.target)
    : undefined;
  const deferred = [...cmd.deferred, ...(waitTarget?.deferred ?? [])];
  // The target is used in a /dev/tcp/HOST/PORT redirection: only a port (or host:port) may get there.
  if (wait?.kind === "port" && waitTarget && !/^([A-Za-z0-9._-]+:)?\d{1,5}$/.test(waitTarget.text)) {
    throw new RunbookError(
      "bad-variable",
      `wait-port= is "${waitTarget.text}" here, which is not a port`,
      action.pos,
      "give the variable a port number such as 9876, or write host:9876",
    );
  }
  const expect = attr(action.expect, "regex")?.text;
  const waitPattern = attr(wait?.pattern, "regex")?.text;
  checkPattern(expect, "expect", action.pos);
  checkPattern(waitPattern, "wait-for", action.pos);
  return {
    kind: "shell",
    source: action.pos,
    risk: action.risk,
    deferred: [...new Set(deferred)],
    command: cmd.display,
    run: cmd.run,
    background: action.background,
    log: attr(action.log)?.text,
    wait:
      wait && waitTarget
        ? {
            kind: wait.kind,
            target: waitTarget.text,
            ...(waitCmd ? { run: waitCmd.run } : {}),
            pattern: waitPattern,
            timeoutMs: action.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS,
          }
        : undefined,
    timeoutMs: action.background
      ? (action.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS)
      : (action.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS),
    retries: action.retries,
    retryDelayMs: action.retryDelayMs,
    capture: action.capture,
    expect,
  };
}

function planFile(action: FileAction, scope: HostScope): PlannedAction {
  const content = scope.render(action.content, "text", bodyPos(action));
  const path = scope.render(action.path, "text", action.pos);
  return {
    kind: "file",
    source: action.pos,
    risk: action.risk,
    deferred: [...new Set([...content.deferred, ...path.deferred])],
    path: path.text,
    content: content.text,
    mode: action.mode,
  };
}

function planTs(action: TsAction): PlannedAction {
  return {
    kind: "ts",
    source: action.pos,
    risk: action.risk,
    deferred: [],
    code: action.code,
    timeoutMs: action.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    retries: action.retries,
    retryDelayMs: action.retryDelayMs,
  };
}

/** A pattern with a variable in it is only known per machine: checked here, not at parse time. */
function checkPattern(pattern: string | undefined, key: string, pos: Action["pos"]): void {
  if (pattern === undefined) return;
  try {
    new RegExp(pattern);
  } catch (e) {
    throw new RunbookError(
      "bad-attribute",
      `${key}= is not a valid regular expression here: ${(e as Error).message} (in /${pattern}/)`,
      pos,
      REGEX_HINT,
    );
  }
}
