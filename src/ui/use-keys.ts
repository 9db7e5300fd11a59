import { type Key, useInput } from "ink";
import type { Dispatch } from "react";
import { mayRunAgain } from "../engine/process-check.ts";
import type { Question } from "./asking.ts";
import type { Mode } from "./components/header.tsx";
import type { DecisionBridge } from "./decision-bridge.ts";
import { type Intent, intentOf, type Situation } from "./key-map.ts";
import type { UiAction, UiState } from "./ui-state.ts";
import type { View } from "./view-model.ts";

export interface KeyContext {
  ui: UiState;
  dispatch: Dispatch<UiAction>;
  question?: Question;
  bridge?: DecisionBridge;
  view: View;
  mode: Mode;
  /** "step 2/5" of a step, as the screen says it. */
  numberOf(stepId: string): string;
  /** Rows of the details box (i) and how many it has, for its scrolling. */
  details: { rows: number; lines: number };
  /** Rows of the output pane's text, for paging and the scroll limit. */
  pageRows: number;
  /** The operator quits: stop the run (the CLI aborts it); the run stays resumable. */
  onQuit?: () => void;
  /** Close the app once the run has wound down. */
  quit(): void;
  /** Close the app now. */
  exit(): void;
}

/** Turns keys into intents (the key map) and intents into UI actions and answers. It never runs anything. */
export function useKeys(c: KeyContext, active: boolean): void {
  useInput((input, key) => handleKey(c, input, key), { isActive: active });
}

/** What the key map needs to know of the moment. */
export function situationOf(c: Pick<KeyContext, "ui" | "question" | "bridge" | "view" | "mode">): Situation {
  const q = c.question;
  return {
    modal: c.ui.modal.kind,
    dryRun: c.mode === "DRY RUN" || !c.bridge,
    finished: c.view.finished,
    running: c.view.running,
    browsing: c.ui.browsing !== undefined,
    question: q?.kind,
    canRerun: q?.kind === "unknown-host" && mayRunAgain(q.check),
    autoRead: c.ui.autoRead,
    failed: c.view.failedHosts.length > 0,
  };
}

export function handleKey(c: KeyContext, input: string, key: Key): void {
  const intent = intentOf(situationOf(c), input, key);
  if (c.ui.modal.kind === "none" && c.ui.flash) c.dispatch({ type: "flash", text: undefined });
  if (intent) applyIntent(c, intent, input, key);
}

function applyIntent(c: KeyContext, intent: Intent, input: string, key: Key): void {
  const { dispatch, view } = c;
  const details = Math.max(0, c.details.lines - c.details.rows);
  const detailsPage = Math.max(1, c.details.rows - 1);
  const output = Math.max(0, (view.output?.lines.length ?? 0) - c.pageRows);
  const outputPage = Math.max(1, c.pageRows - 1);
  switch (intent) {
    case "help":
      return dispatch({ type: "open", modal: { kind: "help" } });
    case "details":
      return dispatch({ type: "open", modal: { kind: "details", scroll: 0 } });
    case "close":
      return dispatch({ type: "close" });
    case "quit":
      return quit(c);
    case "quit-now":
      dispatch({ type: "close" });
      return quitNow(c);
    case "back":
      return dispatch({ type: "browse", stepId: undefined });
    case "step-up":
    case "step-down": {
      const order = view.entries.map((e) => e.step.id);
      return dispatch({ type: "browse-by", by: intent === "step-up" ? -1 : 1, order, current: view.current });
    }
    case "host-previous":
    case "host-next": {
      const by = intent === "host-previous" ? -1 : 1;
      return dispatch({ type: "select-host-by", by, hosts: view.hosts, current: view.host });
    }
    case "next-failed": {
      // The next one after the selected machine, in plan order, round to the first.
      const at = view.host ? view.hosts.indexOf(view.host) : -1;
      const after = view.hosts.slice(at + 1).find((h) => view.failedHosts.includes(h));
      return dispatch({ type: "select-host", host: after ?? view.failedHosts[0] });
    }
    case "output-page-up":
      return dispatch({ type: "scroll", by: outputPage, max: output });
    case "output-page-down":
      return dispatch({ type: "scroll", by: -outputPage, max: output });
    case "output-start":
      return dispatch({ type: "scroll", by: output, max: output });
    case "output-end":
      return dispatch({ type: "scroll", by: -output, max: output });
    case "details-up":
    case "details-down":
      return dispatch({ type: "scroll-details", by: intent === "details-up" ? -1 : 1, max: details });
    case "details-page-up":
    case "details-page-down": {
      const by = intent === "details-page-up" ? -detailsPage : detailsPage;
      return dispatch({ type: "scroll-details", by, max: details });
    }
    case "details-start":
    case "details-end": {
      const by = intent === "details-start" ? -c.details.lines : c.details.lines;
      return dispatch({ type: "scroll-details", by, max: details });
    }
    case "type":
      if (key.backspace || key.delete) return dispatch({ type: "backspace" });
      return dispatch({ type: "type", text: input });
    case "submit":
    case "cancel":
      return typedAnswer(c, intent, input, key);
    case "auto-read":
    case "run":
    case "skip":
    case "retry":
    case "rollback-one":
    case "rollback-all":
    case "confirm-rollback":
    case "stop":
    case "rerun":
    case "mark-done":
    case "yes":
    case "no":
      return answer(c, intent);
  }
}

type AnswerIntent = Extract<
  Intent,
  | "auto-read"
  | "run"
  | "skip"
  | "retry"
  | "rollback-one"
  | "rollback-all"
  | "confirm-rollback"
  | "stop"
  | "rerun"
  | "mark-done"
  | "yes"
  | "no"
>;

/** Intents that answer the run's question. */
function answer(c: KeyContext, intent: AnswerIntent): void {
  const { question: q, dispatch } = c;
  switch (intent) {
    case "auto-read": {
      const on = !c.ui.autoRead;
      dispatch({ type: "auto-read", on });
      // The read-only step asked about now runs at once.
      const now = q?.kind === "before-step" && q.step.risk === "read" ? [q.id] : [];
      return c.bridge?.setAutoRead(on, now);
    }
    case "run":
    case "skip":
      return runOrSkip(c, intent);
    case "retry":
      if (q?.kind === "after-failure") q.answer({ kind: "retry" });
      return;
    case "rollback-one":
    case "rollback-all":
      return rollback(c, intent === "rollback-all");
    case "confirm-rollback":
      return confirmRollback(c);
    case "stop":
      if (q?.kind === "after-failure") q.answer({ kind: "abort" });
      if (q?.kind === "unknown-host") q.answer("abort");
      return;
    case "rerun":
    case "mark-done":
      if (q?.kind === "unknown-host") q.answer(intent === "rerun" ? "rerun" : "done");
      return;
    case "yes":
    case "no":
      if (q?.kind === "rollback-on-abort") q.answer(intent === "yes" ? q.completed : []);
      if (q?.kind === "host-key") q.answer(intent === "yes");
      return;
  }
}

function quit(c: KeyContext): void {
  if (c.mode === "DRY RUN" || c.view.finished || !c.bridge) return c.exit();
  // Between steps nothing runs, so nothing is lost by quitting at once.
  if (c.view.running) return c.dispatch({ type: "open", modal: { kind: "quit" } });
  quitNow(c);
}

function quitNow(c: KeyContext): void {
  c.bridge?.abortAll();
  c.onQuit?.();
  if (c.view.finished || !c.bridge) c.exit();
  else c.quit();
}

function runOrSkip(c: KeyContext, intent: "run" | "skip"): void {
  const { question: q, dispatch } = c;
  if (q?.kind === "after-failure" && intent === "skip")
    return dispatch({ type: "open", modal: { kind: "skip-reason", text: "", empty: false } });
  if (q?.kind !== "before-step") return;
  // A key meant for the waiting step, pressed while looking at another: show that step first.
  if (c.ui.browsing !== undefined && c.ui.browsing !== q.step.id) {
    dispatch({ type: "browse", stepId: undefined });
    return dispatch({ type: "flash", text: `back at ${c.numberOf(q.step.id)}, which waits for you` });
  }
  if (intent === "skip")
    return dispatch({ type: "open", modal: { kind: "skip-reason", text: "", empty: false } });
  q.answer({ kind: "run" });
}

/**
 * b: one machine, B: all of them. After a failure it is the failed step (b: the selected machine, then
 * the question comes back; B: every machine, then the run stops); between steps, the browsed step or
 * the last one that ran.
 */
function rollback(c: KeyContext, all: boolean): void {
  const { question: q, view, dispatch } = c;
  const target =
    q?.kind === "after-failure" ? { step: q.step, host: view.host } : q ? view.rollbackTarget : undefined;
  if (!target)
    return dispatch({ type: "flash", text: "nothing to roll back here: ↑ to a step that ran, then b" });
  const hosts = !all && target.host ? [target.host] : undefined;
  const covered = target.step.targets.filter((t) => !hosts || hosts.includes(t.host));
  if (!covered.some((t) => t.rollback.length > 0)) {
    const on = hosts ?? target.step.targets.map((t) => t.host);
    return dispatch({ type: "flash", text: `"${target.step.title}" has no rollback on ${on.join(", ")}` });
  }
  dispatch({ type: "open", modal: { kind: "rollback", stepId: target.step.id, hosts } });
}

function confirmRollback(c: KeyContext): void {
  const { question: q, ui, dispatch } = c;
  if (ui.modal.kind !== "rollback") return;
  const { stepId, hosts } = ui.modal;
  dispatch({ type: "close" });
  if (q?.kind === "after-failure") q.answer({ kind: "rollback", hosts });
  if (q?.kind === "before-step") q.answer({ kind: "rollback", stepId, hosts });
}

/** Enter or Esc in a box where an answer is typed. */
function typedAnswer(c: KeyContext, intent: "submit" | "cancel", input: string, key: Key): void {
  const { question: q, ui, dispatch } = c;
  const modal = ui.modal;
  if (modal.kind !== "skip-reason" && modal.kind !== "confirm-word" && modal.kind !== "secret") return;
  // Typed fast (or pasted), text and Enter arrive as one chunk: "wipe-it\r".
  const text = modal.text + (key.return ? "" : input.replace(/[\r\n][\s\S]*$/, ""));
  if (modal.kind === "skip-reason") {
    if (intent === "cancel") return dispatch({ type: "close" });
    if (text.trim() === "") return dispatch({ type: "empty-reason" });
    dispatch({ type: "close" });
    if (q?.kind === "before-step" || q?.kind === "after-failure")
      q.answer({ kind: "skip", reason: text.trim() });
    return;
  }
  // Right or wrong, the engine hears a word: each attempt is journaled, and a wrong one asked again.
  dispatch({ type: "close" });
  if (modal.kind === "confirm-word" && q?.kind === "confirm-word")
    q.answer(intent === "cancel" ? undefined : text);
  if (
    modal.kind === "secret" &&
    (q?.kind === "secret" || q?.kind === "passphrase" || q?.kind === "become-password")
  )
    q.answer(intent === "cancel" || text === "" ? undefined : text);
}
