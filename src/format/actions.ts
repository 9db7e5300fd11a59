import { type ErrorCode, RunbookError } from "../model/errors.ts";
import { USER_NAME } from "../model/inventory.ts";
import {
  type Action,
  RISKS,
  type Risk,
  type Rollback,
  type Rollout,
  type ShellAction,
  type SourcePos,
  type Wait,
} from "../model/runbook.ts";
import { type Attribute, type AttributeList, parseAttributes } from "./attributes.ts";
import { parseDuration } from "./duration.ts";
import { NAME } from "./front-matter.ts";
import type { Block } from "./markdown-source.ts";
import { ROLLOUT_KEYS, readRollout } from "./rollout-attributes.ts";
import { didYouMean } from "./suggest.ts";

const SHELL_LANGS = ["sh", "bash", "shell"];
const TS_LANGS = ["ts", "typescript"];

const COMMON = ["on", "when", "as"];
const KEYS = {
  shell: [
    ...COMMON,
    "risk",
    "confirm",
    "background",
    "log",
    "wait-log",
    "wait-for",
    "wait-port",
    "wait-cmd",
    "timeout",
    "retries",
    "retry-delay",
    "capture",
    "expect",
    "keep-going",
    ...ROLLOUT_KEYS,
  ],
  file: [...COMMON, "file", "mode", "risk", "confirm", ...ROLLOUT_KEYS],
  ts: [...COMMON, "risk", "confirm", "timeout", "retries", "retry-delay", "keep-going", ...ROLLOUT_KEYS],
  rollback: [...COMMON, "timeout"],
} as const;
type Kind = keyof typeof KEYS;
const FLAGS = new Set(["background", "keep-going"]);

/** An action, with the rollout of its step when this action's attributes give one. */
export type ParsedBlock =
  | { kind: "action"; action: Action; rollout?: Rollout }
  | { kind: "rollback"; rollback: Rollback };

/** What a block with attributes gave: the action, or every problem found in it. */
export interface BlockResult {
  block?: ParsedBlock;
  errors: RunbookError[];
  /**
   * A block with problems, read as far as it could be (defaults for what was wrong): not run, but its
   * targets, variables and capture are still checked, with the rest of the runbook.
   */
  partial?: ParsedBlock;
}

type CodeBlock = Extract<Block, { kind: "code" }>;

/**
 * Turns a fenced block into an action, or returns undefined when it is documentation (no attributes).
 * Every problem of the block is reported; a block with problems gives no action.
 * `lines` are the file's lines, used to find the column of the attribute list.
 */
export function readCodeBlock(file: string, lines: string[], node: CodeBlock): BlockResult | undefined {
  const pos: SourcePos = { file, line: node.pos.line, col: node.pos.col };
  let lang = node.lang;
  let meta = node.meta;
  if (lang.startsWith("{")) {
    meta = `${lang} ${meta}`.trim();
    lang = "";
  }
  if (!meta.startsWith("{")) return undefined;
  const errors: RunbookError[] = [];
  const problem = (message: string, at: SourcePos, hint?: string, code: ErrorCode = "bad-attribute") => {
    errors.push(new RunbookError(code, message, at, hint));
  };
  const fenceLine = lines[pos.line - 1] ?? "";
  const braceCol = fenceLine.indexOf("{") + 1;
  let list: AttributeList;
  try {
    list = parseAttributes(meta, { file, line: pos.line, col: braceCol > 0 ? braceCol : pos.col });
  } catch (e) {
    if (e instanceof RunbookError) return { errors: [e] };
    throw e;
  }
  if (list.id) {
    problem(
      `an id (#${list.id}) belongs on the step heading, not on a code block`,
      pos,
      `move {#${list.id}} to the end of the ## heading`,
    );
  }
  const attrs = new Map<string, Attribute>();
  for (const a of list.attrs) {
    if (attrs.has(a.key)) problem(`attribute ${a.key} is given twice`, a.pos, "keep one of them");
    else attrs.set(a.key, a);
  }
  let rollout: Rollout | undefined;
  const result = (parsed?: ParsedBlock): BlockResult => {
    const block = parsed?.kind === "action" && rollout ? { ...parsed, rollout } : parsed;
    return {
      block: errors.length === 0 ? block : undefined,
      // In the order they stand in the attribute list.
      errors: errors.sort((a, b) => (a.pos?.col ?? 0) - (b.pos?.col ?? 0)),
      partial: errors.length === 0 ? undefined : block,
    };
  };
  const kind: Kind | undefined = attrs.has("file")
    ? "file"
    : SHELL_LANGS.includes(lang)
      ? "shell"
      : TS_LANGS.includes(lang)
        ? "ts"
        : lang === "rollback"
          ? "rollback"
          : undefined;
  if (!kind) {
    problem(
      lang === ""
        ? "a code block with attributes needs a language"
        : `a \`\`\`${lang} block with attributes must have file= (a file block), or be sh, rollback or ts`,
      pos,
      lang === ""
        ? "write ```sh {on=...} for a command"
        : `add file="path" to write it to the machine, or remove the {…} to keep it as documentation`,
    );
    return result();
  }
  const allowed: readonly string[] = KEYS[kind];
  for (const a of [...attrs.values()]) {
    if (!allowed.includes(a.key)) {
      problem(
        `unknown attribute "${a.key}" on a ${kind === "shell" ? "sh" : kind} block`,
        a.pos,
        didYouMean(a.key, allowed) ?? `attributes here: ${allowed.join(", ")}`,
        "unknown-attribute",
      );
      attrs.delete(a.key);
    } else if (FLAGS.has(a.key) !== (a.value === true)) {
      problem(
        FLAGS.has(a.key) ? `${a.key} is a flag and takes no value` : `${a.key} needs a value`,
        a.pos,
        FLAGS.has(a.key) ? `write just ${a.key}` : `write ${a.key}=value`,
      );
      attrs.delete(a.key);
    }
  }
  const str = (key: string) => {
    const v = attrs.get(key)?.value;
    return typeof v === "string" ? v : undefined;
  };
  const posOf = (key: string) => attrs.get(key)?.pos ?? pos;
  const onText = str("on");
  if (!onText) {
    problem(
      "this block has no on= (which machines it runs on)",
      pos,
      "add on=ROLE, on=GROUP, on=all or on=@machine",
    );
  }
  const on = (onText ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const when = str("when");
  const as = readAs(str("as"), posOf("as"), errors);
  const body = node.value.endsWith("\n") || node.value === "" ? node.value : `${node.value}\n`;
  const duration = (key: string) => {
    const v = str(key);
    if (v === undefined) return undefined;
    try {
      return parseDuration(v, posOf(key), key);
    } catch (e) {
      if (!(e instanceof RunbookError)) throw e;
      errors.push(e);
      return undefined;
    }
  };

  if (kind === "rollback") {
    const timeoutMs = duration("timeout");
    return result({ kind: "rollback", rollback: { on, when, ...as, pos, command: body, timeoutMs } });
  }
  rollout = readRollout(str, posOf, errors);
  let riskText = str("risk") ?? "change";
  const badRisk = !(RISKS as readonly string[]).includes(riskText);
  if (badRisk) {
    problem(
      `risk=${riskText} is not a risk tier`,
      posOf("risk"),
      didYouMean(riskText, RISKS) ?? `use one of ${RISKS.join(", ")}`,
    );
    riskText = "change";
  }
  const risk = riskText as Risk;
  const confirm = str("confirm");
  let retries = Number(str("retries") ?? "0");
  if (!Number.isInteger(retries) || retries < 0 || retries > 100) {
    problem("retries must be a whole number from 0 to 100", posOf("retries"));
    retries = 0;
  }
  const retryDelayMs = duration("retry-delay") ?? 2000;
  const keepGoing = attrs.has("keep-going");
  if (keepGoing && risk !== "read" && !badRisk) {
    problem(
      `keep-going is only for read-only checks, and this action is risk=${risk}`,
      posOf("keep-going"),
      "add risk=read if the command changes nothing; a change that failed must stop the run",
    );
  }
  switch (kind) {
    case "file": {
      const mode = str("mode") ?? "0644";
      if (!/^0?[0-7]{3}$/.test(mode)) {
        problem(`mode=${mode} is not an octal file mode`, posOf("mode"), "write mode=0644");
      }
      const path = str("file") ?? "";
      return result({
        kind: "action",
        action: {
          kind: "file",
          on,
          when,
          ...as,
          pos,
          path,
          content: node.value === "" ? "" : body,
          mode,
          lang,
          risk,
          confirm,
        },
      });
    }
    case "ts": {
      const timeoutMs = duration("timeout");
      return result({
        kind: "action",
        action: {
          kind: "ts",
          on,
          when,
          ...as,
          pos,
          code: node.value,
          risk,
          confirm,
          timeoutMs,
          retries,
          retryDelayMs,
          keepGoing,
        },
      });
    }
    case "shell": {
      let capture = str("capture");
      if (capture !== undefined && !NAME.test(capture)) {
        problem(
          `capture=${capture} is not a variable name`,
          posOf("capture"),
          "use lower case letters, digits and _",
        );
        capture = undefined;
      }
      const expect = str("expect");
      const badExpect = regexProblem(expect, posOf("expect"), "expect");
      if (badExpect) errors.push(badExpect);
      const wait = readWait(str, posOf, pos, errors);
      const timeoutMs = duration("timeout");
      const action: ShellAction = {
        kind: "shell",
        on,
        when,
        ...as,
        pos,
        command: body,
        risk,
        confirm,
        background: attrs.has("background"),
        log: str("log"),
        wait,
        timeoutMs,
        retries,
        retryDelayMs,
        capture,
        expect,
        keepGoing,
      };
      if (action.log !== undefined && !action.background) {
        problem("log= only applies to background commands", posOf("log"), "add background or remove log=");
      }
      if (action.background && action.capture) {
        problem(
          "a background command has no output to capture",
          posOf("capture"),
          "capture from a separate, foreground command",
        );
      }
      return result({ kind: "action", action });
    }
  }
}

/** `as=`: a user name, or a template the plan fills in per machine (and checks then). */
function readAs(value: string | undefined, pos: SourcePos, errors: RunbookError[]): { as?: string } {
  if (value === undefined) return {};
  if (!value.includes("{{") && !USER_NAME.test(value)) {
    errors.push(
      new RunbookError(
        "bad-attribute",
        `as=${value} is not a user name`,
        pos,
        "write the user the command runs as, such as as=rocketmq",
      ),
    );
    return {};
  }
  return { as: value };
}

function readWait(
  str: (k: string) => string | undefined,
  posOf: (k: string) => SourcePos,
  pos: SourcePos,
  errors: RunbookError[],
): Wait | undefined {
  const log = str("wait-log");
  const pattern = str("wait-for");
  const port = str("wait-port");
  const cmd = str("wait-cmd");
  const given = [log ?? pattern, port, cmd].filter((v) => v !== undefined).length;
  if (given > 1) {
    errors.push(
      new RunbookError(
        "bad-attribute",
        "only one wait per action: wait-log/wait-for, wait-port or wait-cmd",
        pos,
        "split the waits into separate actions",
      ),
    );
    return undefined;
  }
  if ((log === undefined) !== (pattern === undefined)) {
    errors.push(
      new RunbookError(
        "bad-attribute",
        log === undefined
          ? "wait-for needs wait-log (the file to watch)"
          : "wait-log needs wait-for (the line to wait for)",
        posOf(log === undefined ? "wait-for" : "wait-log"),
        'write wait-log="path/to.log" wait-for="regular expression"',
      ),
    );
    return undefined;
  }
  if (log !== undefined && pattern !== undefined) {
    const bad = regexProblem(pattern, posOf("wait-for"), "wait-for");
    if (bad) errors.push(bad);
    return { kind: "log", target: log, pattern };
  }
  if (port !== undefined) {
    if (!/^(\{\{.*\}\}|([^\s:]+:)?\d{1,5})$/.test(port) && !port.includes("{{")) {
      errors.push(
        new RunbookError(
          "bad-attribute",
          `wait-port=${port} is not a port`,
          posOf("wait-port"),
          "write wait-port=9876 or wait-port=host:9876",
        ),
      );
    }
    return { kind: "port", target: port };
  }
  if (cmd !== undefined) return { kind: "command", target: cmd };
  return undefined;
}

/** What to do about a bad pattern in an attribute: the Markdown info string eats one backslash. */
export const REGEX_HINT =
  "escape special characters such as ( [ . with a backslash, written \\\\ in a fence's attributes (Markdown removes one before punctuation)";

function regexProblem(value: string | undefined, pos: SourcePos, key: string): RunbookError | undefined {
  if (value === undefined || value.includes("{{")) return undefined;
  try {
    new RegExp(value);
    return undefined;
  } catch (e) {
    return new RunbookError(
      "bad-attribute",
      `${key}= is not a valid regular expression: ${(e as Error).message}`,
      pos,
      REGEX_HINT,
    );
  }
}
