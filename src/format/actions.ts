import { RunbookError } from "../model/errors.ts";
import type { Action, Rollback, Rollout, ShellAction, SourcePos } from "../model/runbook.ts";
import { type Kind, kindOf } from "./action-keys.ts";
import { type AttributeList, parseAttributes } from "./attributes.ts";
import { BlockAttributes } from "./block-attributes.ts";
import { NAME } from "./front-matter.ts";
import type { Block } from "./markdown-source.ts";
import { regexProblem } from "./patterns.ts";
import { readRollout } from "./rollout-attributes.ts";
import { readWait } from "./wait-attributes.ts";

export { REGEX_HINT } from "./patterns.ts";

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

/** A code block's language, its attributes and its body, read into one kind of block. */
interface BlockSource {
  a: BlockAttributes;
  node: CodeBlock;
  lang: string;
  /** The code, ending with a line ending unless it is empty. */
  body: string;
}

const READERS: Record<Kind, (b: BlockSource) => ParsedBlock> = {
  rollback: readRollback,
  file: readFile,
  ts: readTs,
  shell: readShell,
};

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
  const fenceLine = lines[pos.line - 1] ?? "";
  const braceCol = fenceLine.indexOf("{") + 1;
  let list: AttributeList;
  try {
    list = parseAttributes(meta, { file, line: pos.line, col: braceCol > 0 ? braceCol : pos.col });
  } catch (e) {
    if (e instanceof RunbookError) return { errors: [e] };
    throw e;
  }
  const errors: RunbookError[] = [];
  const a = new BlockAttributes(list, pos, errors);
  const result = (block?: ParsedBlock): BlockResult => ({
    block: errors.length === 0 ? block : undefined,
    // In the order they stand in the attribute list.
    errors: errors.sort((x, y) => (x.pos?.col ?? 0) - (y.pos?.col ?? 0)),
    partial: errors.length === 0 ? undefined : block,
  });
  const kind = kindOf(lang, a.has("file"));
  if (!kind) {
    a.problem(
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
  a.keepOnly(kind);
  const body = node.value.endsWith("\n") || node.value === "" ? node.value : `${node.value}\n`;
  const block = READERS[kind]({ a, node, lang, body });
  const rollout =
    kind === "rollback"
      ? undefined
      : readRollout(
          (k) => a.str(k),
          (k) => a.posOf(k),
          errors,
        );
  return result(block.kind === "action" && rollout ? { ...block, rollout } : block);
}

function readRollback({ a, body }: BlockSource): ParsedBlock {
  const on = a.targets();
  const when = a.str("when");
  const as = a.as();
  const timeoutMs = a.duration("timeout");
  return { kind: "rollback", rollback: { on, when, ...as, pos: a.pos, command: body, timeoutMs } };
}

/** What every action reads, in this order (problems of equal column are reported in it). */
function actionCommon(a: BlockAttributes) {
  const on = a.targets();
  const when = a.str("when");
  const as = a.as();
  const risk = a.risk();
  const confirm = a.str("confirm");
  const retries = a.retries();
  const retryDelayMs = a.duration("retry-delay") ?? 2000;
  const keepGoing = a.keepGoing(risk);
  return { on, when, as, risk: risk.risk, confirm, retries, retryDelayMs, keepGoing };
}

function readFile({ a, node, lang, body }: BlockSource): ParsedBlock {
  const { on, when, as, risk, confirm } = actionCommon(a);
  const mode = a.str("mode") ?? "0644";
  if (!/^0?[0-7]{3}$/.test(mode)) {
    a.problem(`mode=${mode} is not an octal file mode`, a.posOf("mode"), "write mode=0644");
  }
  const path = a.str("file") ?? "";
  const content = node.value === "" ? "" : body;
  return {
    kind: "action",
    action: { kind: "file", on, when, ...as, pos: a.pos, path, content, mode, lang, risk, confirm },
  };
}

function readTs({ a, node }: BlockSource): ParsedBlock {
  const { on, when, as, risk, confirm, retries, retryDelayMs, keepGoing } = actionCommon(a);
  const timeoutMs = a.duration("timeout");
  return {
    kind: "action",
    action: {
      kind: "ts",
      on,
      when,
      ...as,
      pos: a.pos,
      code: node.value,
      risk,
      confirm,
      timeoutMs,
      retries,
      retryDelayMs,
      keepGoing,
    },
  };
}

function readShell({ a, body }: BlockSource): ParsedBlock {
  const { on, when, as, risk, confirm, retries, retryDelayMs, keepGoing } = actionCommon(a);
  let capture = a.str("capture");
  if (capture !== undefined && !NAME.test(capture)) {
    a.problem(
      `capture=${capture} is not a variable name`,
      a.posOf("capture"),
      "use lower case letters, digits and _",
    );
    capture = undefined;
  }
  const expect = a.str("expect");
  const badExpect = regexProblem(expect, a.posOf("expect"), "expect");
  if (badExpect) a.errors.push(badExpect);
  const wait = readWait(a);
  const timeoutMs = a.duration("timeout");
  const action: ShellAction = {
    kind: "shell",
    on,
    when,
    ...as,
    pos: a.pos,
    command: body,
    risk,
    confirm,
    background: a.has("background"),
    log: a.str("log"),
    wait,
    timeoutMs,
    retries,
    retryDelayMs,
    capture,
    expect,
    keepGoing,
  };
  if (action.log !== undefined && !action.background) {
    a.problem("log= only applies to background commands", a.posOf("log"), "add background or remove log=");
  }
  if (action.background && action.capture) {
    a.problem(
      "a background command has no output to capture",
      a.posOf("capture"),
      "capture from a separate, foreground command",
    );
  }
  return { kind: "action", action };
}
