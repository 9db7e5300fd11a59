import { looksLikeCommand } from "./command-words.ts";

/** A command as the document shows it: the prompt taken off, what it prints, the comments above it. */
export interface DocCommand {
  /** The command; lines continued with `\`, `|`, `&&` or a here-document stay together. */
  text: string;
  line: number;
  comments: { text: string; line: number }[];
  /** Lines shown after it that are not commands: what it prints. */
  output: { text: string; line: number }[];
}

const SHELL_LANGS = new Set([
  "sh",
  "bash",
  "shell",
  "zsh",
  "console",
  "shell-session",
  "shellsession",
  "terminal",
]);
const PROMPT = /^\s*(?:[\w.-]+@[\w.-]+(?::[^\s$#]*)?\s?[$#]|\$|>)\s+(.*)$/;
const ROOT_PROMPT = /^\s*#\s+(.*)$/;
const SCRIPT_KEYWORD = /^\s*(if|for|while|until|case|function)\b|^\s*[\w-]+\s*\(\)\s*\{?\s*$/;

/** A prompt's command, when the line starts with one (`# ` only when a command follows it). */
function prompted(line: string): string | undefined {
  const m = PROMPT.exec(line);
  if (m) return m[1];
  const root = ROOT_PROMPT.exec(line);
  if (root?.[1] && !root[1].startsWith("#") && looksLikeCommand(root[1])) return root[1];
  return undefined;
}

function continues(text: string): boolean {
  return /(\\|\||&&|\|\|)\s*$/.test(text);
}

/**
 * The commands of a code block, or undefined when it is documentation (a config file, a log, code of
 * another language). `firstLine` is the document line of the block's first line of code.
 */
export function readShellBlock(lang: string, value: string, firstLine: number): DocCommand[] | undefined {
  const l = lang.toLowerCase();
  if (l !== "" && !SHELL_LANGS.has(l)) return undefined;
  const lines = value.split("\n");
  const withPrompts = lines.some((x) => prompted(x) !== undefined);
  if (!withPrompts && lines.some((x) => SCRIPT_KEYWORD.test(x))) return asScript(lines, firstLine, l);
  if (!withPrompts && l === "") {
    const body = lines.filter((x) => x.trim() !== "" && !x.trim().startsWith("#"));
    if (body.length === 0 || !body.every(looksLikeCommand)) return undefined;
  }
  const commands = readLines(lines, firstLine, withPrompts);
  return commands.length > 0 ? commands : undefined;
}

/** A block of shell syntax (a loop, a function): one command, as written. */
function asScript(lines: string[], firstLine: number, lang: string): DocCommand[] | undefined {
  if (lang === "") return undefined;
  const text = lines.join("\n").trim();
  return text ? [{ text, line: firstLine, comments: [], output: [] }] : undefined;
}

function readLines(lines: string[], firstLine: number, withPrompts: boolean): DocCommand[] {
  const commands: DocCommand[] = [];
  let comments: DocCommand["comments"] = [];
  let current: DocCommand | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\s+$/, "");
    const line = firstLine + i;
    if (raw.trim() === "") continue;
    const fromPrompt = prompted(raw);
    const isComment = fromPrompt === undefined && raw.trim().startsWith("#");
    const isCommand =
      fromPrompt !== undefined || (!withPrompts && !isComment && (looksLikeCommand(raw) || !current));
    if (isComment) {
      comments.push({ text: raw.trim().replace(/^#+\s*/, ""), line });
      continue;
    }
    if (!isCommand) {
      current?.output.push({ text: raw.trim(), line });
      continue;
    }
    let text = (fromPrompt ?? raw).trim();
    i = takeContinuation(lines, i, withPrompts, (more) => {
      text += `\n${more}`;
    });
    current = { text, line, comments, output: [] };
    comments = [];
    commands.push(current);
  }
  return commands;
}

/** Lines that belong to the command at `i` (continued lines, a here-document); the last one's index. */
function takeContinuation(
  lines: string[],
  i: number,
  withPrompts: boolean,
  add: (line: string) => void,
): number {
  let text = (lines[i] as string).trim();
  const heredoc = /<<-?\s*['"]?([A-Za-z_][\w]*)['"]?/.exec(text)?.[1];
  let j = i;
  if (heredoc) {
    while (j + 1 < lines.length) {
      j++;
      const next = lines[j] as string;
      add(withPrompts ? next.replace(/^\s*>\s?/, "") : next);
      if (next.trim() === heredoc) break;
    }
    return j;
  }
  while (continues(text) && j + 1 < lines.length) {
    j++;
    const next = (lines[j] as string).trim();
    text = withPrompts ? next.replace(/^>\s?/, "") : next;
    add(text);
  }
  return j;
}
