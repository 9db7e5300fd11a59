import { RunbookError } from "../model/errors.ts";
import {
  type Action,
  RISKS,
  type Risk,
  type Rollback,
  type ShellAction,
  type SourcePos,
  type Wait,
} from "../model/runbook.ts";
import { type Attribute, parseAttributes } from "./attributes.ts";
import { parseDuration } from "./duration.ts";
import { NAME } from "./front-matter.ts";
import type { Block } from "./markdown-source.ts";
import { didYouMean } from "./suggest.ts";

const SHELL_LANGS = ["sh", "bash", "shell"];
const TS_LANGS = ["ts", "typescript"];

const COMMON = ["on", "when"];
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
  ],
  file: [...COMMON, "file", "mode", "risk", "confirm"],
  ts: [...COMMON, "risk", "confirm", "timeout", "retries", "retry-delay", "keep-going"],
  rollback: [...COMMON, "timeout"],
} as const;
type Kind = keyof typeof KEYS;
const FLAGS = new Set(["background", "keep-going"]);

export type ParsedBlock = { kind: "action"; action: Action } | { kind: "rollback"; rollback: Rollback };

type CodeBlock = Extract<Block, { kind: "code" }>;

/**
 * Turns a fenced block into an action, or returns undefined when it is documentation (no attributes).
 * `lines` are the file's lines, used to find the column of the attribute list.
 */
export function readCodeBlock(file: string, lines: string[], node: CodeBlock): ParsedBlock | undefined {
  const pos: SourcePos = { file, line: node.pos.line, col: node.pos.col };
  let lang = node.lang;
  let meta = node.meta;
  if (lang.startsWith("{")) {
    meta = `${lang} ${meta}`.trim();
    lang = "";
  }
  if (!meta.startsWith("{")) return undefined;
  const fenceLine = lines[pos.line - 1] ?? "";
  const braceCol = fenceLine.indexOf("{") + 1;
  const list = parseAttributes(meta, { file, line: pos.line, col: braceCol > 0 ? braceCol : pos.col });
  if (list.id) {
    throw new RunbookError(
      "bad-attribute",
      `an id (#${list.id}) belongs on the step heading, not on a code block`,
      pos,
      `move {#${list.id}} to the end of the ## heading`,
    );
  }
  const attrs = new Map<string, Attribute>();
  for (const a of list.attrs) {
    if (attrs.has(a.key)) {
      throw new RunbookError("bad-attribute", `attribute ${a.key} is given twice`, a.pos, "keep one of them");
    }
    attrs.set(a.key, a);
  }
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
    throw new RunbookError(
      "bad-attribute",
      lang === ""
        ? "a code block with attributes needs a language"
        : `a \`\`\`${lang} block with attributes must have file= (a file block), or be sh, rollback or ts`,
      pos,
      lang === ""
        ? "write ```sh {on=...} for a command"
        : `add file="path" to write it to the machine, or remove the {…} to keep it as documentation`,
    );
  }
  const allowed: readonly string[] = KEYS[kind];
  for (const a of attrs.values()) {
    if (!allowed.includes(a.key)) {
      const known = allowed.includes(a.key) ? undefined : didYouMean(a.key, allowed);
      throw new RunbookError(
        "unknown-attribute",
        `unknown attribute "${a.key}" on a ${kind === "shell" ? "sh" : kind} block`,
        a.pos,
        known ?? `attributes here: ${allowed.join(", ")}`,
      );
    }
    if (FLAGS.has(a.key) !== (a.value === true)) {
      throw new RunbookError(
        "bad-attribute",
        FLAGS.has(a.key) ? `${a.key} is a flag and takes no value` : `${a.key} needs a value`,
        a.pos,
        FLAGS.has(a.key) ? `write just ${a.key}` : `write ${a.key}=value`,
      );
    }
  }
  const str = (key: string) => {
    const v = attrs.get(key)?.value;
    return typeof v === "string" ? v : undefined;
  };
  const posOf = (key: string) => attrs.get(key)?.pos ?? pos;
  const onText = str("on");
  if (!onText) {
    throw new RunbookError(
      "bad-attribute",
      "this block has no on= (which machines it runs on)",
      pos,
      "add on=ROLE, on=GROUP, on=all or on=@machine",
    );
  }
  const on = onText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const when = str("when");
  const body = node.value.endsWith("\n") || node.value === "" ? node.value : `${node.value}\n`;
  const duration = (key: string) => {
    const v = str(key);
    return v === undefined ? undefined : parseDuration(v, posOf(key), key);
  };

  if (kind === "rollback") {
    return { kind: "rollback", rollback: { on, when, pos, command: body, timeoutMs: duration("timeout") } };
  }
  const riskText = str("risk") ?? "change";
  if (!(RISKS as readonly string[]).includes(riskText)) {
    throw new RunbookError(
      "bad-attribute",
      `risk=${riskText} is not a risk tier`,
      posOf("risk"),
      didYouMean(riskText, RISKS) ?? `use one of ${RISKS.join(", ")}`,
    );
  }
  const risk = riskText as Risk;
  const confirm = str("confirm");
  const retries = Number(str("retries") ?? "0");
  if (!Number.isInteger(retries) || retries < 0 || retries > 100) {
    throw new RunbookError("bad-attribute", "retries must be a whole number from 0 to 100", posOf("retries"));
  }
  const retryDelayMs = duration("retry-delay") ?? 2000;
  const keepGoing = attrs.has("keep-going");
  if (keepGoing && risk !== "read") {
    throw new RunbookError(
      "bad-attribute",
      `keep-going is only for read-only checks, and this action is risk=${risk}`,
      posOf("keep-going"),
      "add risk=read if the command changes nothing; a change that failed must stop the run",
    );
  }
  switch (kind) {
    case "file": {
      const mode = str("mode") ?? "0644";
      if (!/^0?[0-7]{3}$/.test(mode)) {
        throw new RunbookError(
          "bad-attribute",
          `mode=${mode} is not an octal file mode`,
          posOf("mode"),
          "write mode=0644",
        );
      }
      const path = str("file") ?? "";
      return {
        kind: "action",
        action: {
          kind: "file",
          on,
          when,
          pos,
          path,
          content: node.value === "" ? "" : body,
          mode,
          lang,
          risk,
          confirm,
        },
      };
    }
    case "ts":
      return {
        kind: "action",
        action: {
          kind: "ts",
          on,
          when,
          pos,
          code: node.value,
          risk,
          confirm,
          timeoutMs: duration("timeout"),
          retries,
          retryDelayMs,
          keepGoing,
        },
      };
    case "shell": {
      const capture = str("capture");
      if (capture !== undefined && !NAME.test(capture)) {
        throw new RunbookError(
          "bad-attribute",
          `capture=${capture} is not a variable name`,
          posOf("capture"),
          "use lower case letters, digits and _",
        );
      }
      checkRegex(str("expect"), posOf("expect"), "expect");
      const action: ShellAction = {
        kind: "shell",
        on,
        when,
        pos,
        command: body,
        risk,
        confirm,
        background: attrs.has("background"),
        log: str("log"),
        wait: readWait(str, posOf, pos),
        timeoutMs: duration("timeout"),
        retries,
        retryDelayMs,
        capture,
        expect: str("expect"),
        keepGoing,
      };
      if (action.log !== undefined && !action.background) {
        throw new RunbookError(
          "bad-attribute",
          "log= only applies to background commands",
          posOf("log"),
          "add background or remove log=",
        );
      }
      if (action.background && action.capture) {
        throw new RunbookError(
          "bad-attribute",
          "a background command has no output to capture",
          posOf("capture"),
          "capture from a separate, foreground command",
        );
      }
      return { kind: "action", action };
    }
  }
}

function readWait(
  str: (k: string) => string | undefined,
  posOf: (k: string) => SourcePos,
  pos: SourcePos,
): Wait | undefined {
  const log = str("wait-log");
  const pattern = str("wait-for");
  const port = str("wait-port");
  const cmd = str("wait-cmd");
  const given = [log ?? pattern, port, cmd].filter((v) => v !== undefined).length;
  if (given > 1) {
    throw new RunbookError(
      "bad-attribute",
      "only one wait per action: wait-log/wait-for, wait-port or wait-cmd",
      pos,
      "split the waits into separate actions",
    );
  }
  if ((log === undefined) !== (pattern === undefined)) {
    throw new RunbookError(
      "bad-attribute",
      log === undefined
        ? "wait-for needs wait-log (the file to watch)"
        : "wait-log needs wait-for (the line to wait for)",
      posOf(log === undefined ? "wait-for" : "wait-log"),
      'write wait-log="path/to.log" wait-for="regular expression"',
    );
  }
  if (log !== undefined && pattern !== undefined) {
    checkRegex(pattern, posOf("wait-for"), "wait-for");
    return { kind: "log", target: log, pattern };
  }
  if (port !== undefined) {
    if (!/^(\{\{.*\}\}|([^\s:]+:)?\d{1,5})$/.test(port) && !port.includes("{{")) {
      throw new RunbookError(
        "bad-attribute",
        `wait-port=${port} is not a port`,
        posOf("wait-port"),
        "write wait-port=9876 or wait-port=host:9876",
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

function checkRegex(value: string | undefined, pos: SourcePos, key: string): void {
  if (value === undefined || value.includes("{{")) return;
  try {
    new RegExp(value);
  } catch (e) {
    throw new RunbookError(
      "bad-attribute",
      `${key}= is not a valid regular expression: ${(e as Error).message}`,
      pos,
      REGEX_HINT,
    );
  }
}
