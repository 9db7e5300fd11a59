import type { Key } from "ink";
import type { QuestionKind } from "../engine/questions.ts";
import type { Modal } from "./ui-state.ts";

/**
 * The one key map: which keys do what, when. The input handler, the footer and the help are all made
 * from it, so a key cannot work without being shown, or be shown without working.
 */

/** What the screen is doing when a key arrives. */
export interface Situation {
  modal: Modal["kind"];
  /** Nothing can be decided: a dry run, or a screen without a run behind it. */
  dryRun: boolean;
  finished: boolean;
  /** Commands run (or connections open) rather than the run waiting on the operator. */
  running: boolean;
  browsing: boolean;
  question?: QuestionKind;
  /** Asked about an unknown machine: its command is known not to be running. */
  canRerun: boolean;
  autoRead: boolean;
  /** The shown step has machines that failed (or whose state is unknown). */
  failed: boolean;
}

export type Intent =
  | "help"
  | "quit"
  | "quit-now"
  | "back"
  | "step-up"
  | "step-down"
  | "host-previous"
  | "host-next"
  | "next-failed"
  | "details"
  | "output-page-up"
  | "output-page-down"
  | "output-start"
  | "output-end"
  | "auto-read"
  | "run"
  | "skip"
  | "retry"
  | "rollback-one"
  | "rollback-all"
  | "stop"
  | "rerun"
  | "mark-done"
  | "yes"
  | "no"
  | "close"
  | "details-up"
  | "details-down"
  | "details-page-up"
  | "details-page-down"
  | "details-start"
  | "details-end"
  | "type"
  | "submit"
  | "cancel"
  | "confirm-rollback";

/** A key as the map names it: a character ("q", "B", "?"), or one of these. */
export type KeyName =
  | "enter"
  | "escape"
  | "up"
  | "down"
  | "left"
  | "right"
  | "tab"
  | "shift-tab"
  | "page-up"
  | "page-down"
  | "home"
  | "end"
  | "backspace"
  | "ctrl-c"
  /** Printable text, or a backspace: what a typed answer is made of. */
  | "text"
  /** Any key at all (tried after every other binding). */
  | "any"
  | (string & {});

export interface Binding {
  /** The keys as the footer and the help write them ("b/B", "Enter"); "" for a hint without a key. */
  keys: string;
  /** What each key does here. */
  match: Partial<Record<KeyName, Intent>>;
  when(s: Situation): boolean;
  /** The footer's words; a function for words that depend on the moment; undefined keeps it out. */
  label?: string | ((s: Situation) => string | undefined);
  /** The help's lines for these keys; a binding without help is not listed there. */
  help?: { keys: string; lines: string[] };
}

const main = (s: Situation) => s.modal === "none";
const asked = (kind: QuestionKind) => (s: Situation) => main(s) && !s.dryRun && s.question === kind;
const inModal = (kind: Modal["kind"]) => (s: Situation) => s.modal === kind;
const deciding = (s: Situation) => main(s) && !s.dryRun && !s.finished;

/** In footer order: the keys of the moment first, then quitting, then moving around. */
export const KEY_MAP: readonly Binding[] = [
  // The operator's own dialogs.
  { keys: "any key", match: { any: "close" }, when: inModal("help"), label: "closes the help" },
  {
    keys: "↑↓ PgUp/PgDn",
    match: {
      up: "details-up",
      down: "details-down",
      "page-up": "details-page-up",
      "page-down": "details-page-down",
      home: "details-start",
      end: "details-end",
    },
    when: inModal("details"),
    label: "scroll",
  },
  {
    keys: "Tab",
    match: { tab: "host-next", right: "host-next", "shift-tab": "host-previous", left: "host-previous" },
    when: inModal("details"),
    label: "machine",
  },
  { keys: "any other key", match: { any: "close" }, when: inModal("details"), label: "closes" },
  { keys: "", match: { text: "type" }, when: inModal("skip-reason"), label: "type the reason" },
  { keys: "Enter", match: { enter: "submit" }, when: inModal("skip-reason"), label: "skip" },
  { keys: "Esc", match: { escape: "cancel" }, when: inModal("skip-reason"), label: "back" },
  { keys: "", match: { text: "type" }, when: inModal("confirm-word"), label: "type the word" },
  { keys: "Enter", match: { enter: "submit" }, when: inModal("confirm-word"), label: "run" },
  { keys: "Esc", match: { escape: "cancel" }, when: inModal("confirm-word"), label: "back" },
  { keys: "", match: { text: "type" }, when: inModal("secret"), label: "type it (hidden)" },
  { keys: "Enter", match: { enter: "submit" }, when: inModal("secret"), label: "done" },
  { keys: "Esc", match: { escape: "cancel" }, when: inModal("secret"), label: "leave empty" },
  { keys: "y", match: { y: "quit-now" }, when: inModal("quit"), label: "quit (resumable)" },
  { keys: "n", match: { n: "close", escape: "close" }, when: inModal("quit"), label: "stay" },
  { keys: "y", match: { y: "confirm-rollback" }, when: inModal("rollback"), label: "roll back" },
  { keys: "n", match: { n: "close", escape: "close" }, when: inModal("rollback"), label: "cancel" },

  // The main screen.
  {
    keys: "Esc",
    match: { escape: "back" },
    when: main,
    label: (s) => (s.browsing ? "back" : undefined),
    help: { keys: "Esc", lines: ["back to the step the run is at"] },
  },
  {
    keys: "Enter",
    match: { enter: "run", y: "run" },
    when: asked("before-step"),
    // While browsing, Enter brings the waiting step back rather than running it: not offered.
    label: (s) => (s.browsing ? undefined : "run"),
    help: { keys: "Enter / y", lines: ["run the step the run waits on"] },
  },
  {
    keys: "s",
    match: { s: "skip" },
    when: asked("before-step"),
    label: (s) => (s.browsing ? undefined : "skip"),
    help: { keys: "s", lines: ["skip it (asks for a reason, which is journaled)"] },
  },
  {
    keys: "r",
    match: { r: "retry" },
    when: asked("after-failure"),
    label: "retry",
    help: { keys: "r", lines: ["retry the step on the machines that failed"] },
  },
  { keys: "s", match: { s: "skip" }, when: asked("after-failure"), label: "skip on" },
  {
    keys: "b/B",
    match: { b: "rollback-one", B: "rollback-all" },
    when: (s) => asked("before-step")(s) || asked("after-failure")(s),
    label: (s) => (s.browsing && s.question === "before-step" ? "roll back this step" : "roll back"),
    help: {
      keys: "b / B",
      lines: ["roll back the last step run (or the browsed one)", "on the selected machine / on all of them"],
    },
  },
  {
    keys: "x",
    match: { x: "stop" },
    when: asked("after-failure"),
    label: "stop",
    help: { keys: "x", lines: ["stop the run after a failure (it stays resumable)"] },
  },
  {
    keys: "r",
    match: { r: "rerun" },
    when: (s) => asked("unknown-host")(s) && s.canRerun,
    label: "run again there",
  },
  { keys: "d", match: { d: "mark-done" }, when: asked("unknown-host"), label: "mark done" },
  { keys: "x", match: { x: "stop" }, when: asked("unknown-host"), label: "stop" },
  {
    keys: "y",
    match: { y: "yes" },
    when: (s) => asked("rollback-on-abort")(s) || asked("host-key")(s),
    label: "yes",
  },
  {
    keys: "n",
    match: { n: "no" },
    when: (s) => asked("rollback-on-abort")(s) || asked("host-key")(s),
    label: "no",
  },
  {
    keys: "",
    match: {},
    when: (s) =>
      asked("confirm-word")(s) || asked("secret")(s) || asked("passphrase")(s) || asked("become-password")(s),
    label: "type, then Enter · Esc back",
  },
  {
    keys: "q",
    match: { q: "quit", "ctrl-c": "quit" },
    when: main,
    label: (s) => (s.running && !s.question && !s.dryRun ? "quit (asks first)" : "quit"),
    help: {
      keys: "q",
      lines: ["quit; asks first while something runs; the run", "stays resumable: runbook resume"],
    },
  },
  {
    keys: "i",
    match: { i: "details" },
    when: main,
    label: "details",
    help: { keys: "i", lines: ["the whole step: prose, every command, rollback"] },
  },
  {
    keys: "Tab",
    match: { tab: "host-next", right: "host-next", "shift-tab": "host-previous", left: "host-previous" },
    when: main,
    label: "machine",
    help: { keys: "Tab ← →", lines: ["select a machine"] },
  },
  {
    keys: "f",
    match: { f: "next-failed" },
    when: (s) => main(s) && s.failed,
    label: "next failed",
    help: { keys: "f", lines: ["select the next machine that failed"] },
  },
  {
    keys: "↑↓",
    match: { up: "step-up", down: "step-down" },
    when: main,
    label: "steps",
    help: { keys: "↑ ↓", lines: ["browse the steps (nothing runs); Esc comes back"] },
  },
  {
    keys: "PgUp/PgDn",
    match: {
      "page-up": "output-page-up",
      "page-down": "output-page-down",
      home: "output-start",
      end: "output-end",
    },
    when: main,
    label: "output",
    help: { keys: "PgUp PgDn", lines: ["scroll the output; Home the start, End follows"] },
  },
  {
    keys: "a",
    match: { a: "auto-read" },
    when: deciding,
    label: (s) => `auto-read ${s.autoRead ? "off" : "on"}`,
    help: { keys: "a", lines: ["run read-only steps without asking (on/off)"] },
  },
  // The footer always ends with it (HELP_HINT).
  { keys: "?", match: { "?": "help" }, when: main, help: { keys: "?", lines: ["these keys"] } },
];

/** Said at the right of every footer. */
export const HELP_HINT = "? help";

/** The names a key press goes by, most specific first. */
export function keyNames(input: string, key: Key): KeyName[] {
  const names: KeyName[] = [];
  // Typed fast (or pasted), text and Enter arrive as one chunk: "wipe-it\r".
  if (key.return || /[\r\n]/.test(input)) names.push("enter");
  if (key.escape) names.push("escape");
  if (key.upArrow) names.push("up");
  if (key.downArrow) names.push("down");
  if (key.leftArrow) names.push("left");
  if (key.rightArrow) names.push("right");
  if (key.tab) names.push(key.shift ? "shift-tab" : "tab");
  if (key.pageUp) names.push("page-up");
  if (key.pageDown) names.push("page-down");
  if (key.home) names.push("home");
  if (key.end) names.push("end");
  if (key.backspace || key.delete) names.push("backspace");
  if (key.ctrl && input === "c") names.push("ctrl-c");
  else if (input.length === 1 && !key.ctrl && !key.meta && names.length === 0) names.push(input);
  return names;
}

function isText(input: string, key: Key): boolean {
  if (key.backspace || key.delete) return true;
  return input !== "" && !key.ctrl && !key.meta && !key.tab && !key.upArrow && !key.downArrow;
}

/** What a key means now, if anything: named keys first, then typed text, then "any key". */
export function intentOf(s: Situation, input: string, key: Key): Intent | undefined {
  const applying = KEY_MAP.filter((b) => b.when(s));
  for (const name of keyNames(input, key)) {
    const hit = applying.find((b) => b.match[name] !== undefined);
    if (hit) return hit.match[name];
  }
  if (isText(input, key)) {
    const typed = applying.find((b) => b.match.text !== undefined);
    if (typed) return typed.match.text;
  }
  return applying.find((b) => b.match.any !== undefined)?.match.any;
}

/** The footer: every key that applies now with its words, in the map's order. */
export function footerOf(s: Situation): string {
  const parts: string[] = [];
  for (const b of KEY_MAP) {
    if (!b.when(s)) continue;
    const label = typeof b.label === "function" ? b.label(s) : b.label;
    if (label === undefined) continue;
    parts.push(b.keys ? `${b.keys} ${label}` : label);
  }
  return parts.join(" · ");
}

/** The help: every key of the main screen, one per line, in the map's order. */
export function helpLines(): string[] {
  const width = 12;
  return KEY_MAP.flatMap((b) =>
    b.help ? b.help.lines.map((line, i) => `${(i === 0 ? b.help?.keys : "")?.padEnd(width)}${line}`) : [],
  );
}
