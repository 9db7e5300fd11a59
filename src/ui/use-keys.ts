import { type Key, useInput } from "ink";
import type { Dispatch } from "react";
import type { PlannedStep } from "../model/plan.ts";
import type { Mode } from "./components/header.tsx";
import type { DecisionBridge, Question } from "./decision-bridge.ts";
import type { Modal, UiAction, UiState } from "./ui-state.ts";

export interface KeyContext {
  ui: UiState;
  dispatch: Dispatch<UiAction>;
  question?: Question;
  bridge?: DecisionBridge;
  steps: PlannedStep[];
  shownIndex: number;
  host?: string;
  hosts: string[];
  lines: number;
  finished: boolean;
  onQuit?: () => void;
  /** The operator confirmed quitting: the app closes once the run has wound down. */
  quit(): void;
  exit(): void;
  /** Keys are read only from a real terminal (raw mode); a pipe gets the plain reporter instead. */
  active: boolean;
}

/** Turns keys into UI actions and answers to the engine's questions. It never runs anything itself. */
export function useKeys(c: KeyContext): void {
  useInput((input, key) => handleKey(c, input, key), { isActive: c.active });
}

export function handleKey(c: KeyContext, input: string, key: Key): void {
  const { ui, dispatch, question: q } = c;
  if (ui.modal.kind !== "none") return modalKey(c, ui.modal, input, key);
  if (input === "?") return dispatch({ type: "open", modal: { kind: "help" } });
  if (input === "q" || (key.ctrl && input === "c")) {
    if (c.finished) return c.exit();
    return dispatch({ type: "open", modal: { kind: "quit" } });
  }
  // Browsing and scrolling work whatever the run is doing.
  if (key.upArrow || key.downArrow) {
    const next = Math.max(0, Math.min(c.steps.length - 1, c.shownIndex + (key.upArrow ? -1 : 1)));
    return dispatch({ type: "browse", stepId: c.steps[next]?.id });
  }
  if (key.tab || key.leftArrow || key.rightArrow) {
    if (c.hosts.length === 0) return;
    const at = Math.max(0, c.hosts.indexOf(c.host ?? ""));
    const delta = key.leftArrow || (key.tab && key.shift) ? -1 : 1;
    return dispatch({ type: "select-host", host: c.hosts[(at + delta + c.hosts.length) % c.hosts.length] });
  }
  if (key.pageUp) return dispatch({ type: "scroll", by: 10, max: c.lines });
  if (key.pageDown) return dispatch({ type: "scroll", by: -10, max: c.lines });
  if (key.end) return dispatch({ type: "scroll", by: -c.lines, max: c.lines });
  if (input === "a" && c.bridge) return c.bridge.setAutoRead(!c.bridge.autoRead);
  if (!q) return;
  const shown = c.steps[c.shownIndex];
  switch (q.kind) {
    case "before-step":
      if (key.return || input === "y") {
        dispatch({ type: "browse", stepId: undefined });
        return q.answer({ kind: "run" });
      }
      if (input === "s") return dispatch({ type: "open", modal: { kind: "skip-reason", text: "" } });
      if ((input === "b" || input === "B") && shown && shown.id !== q.step.id) {
        return q.answer({
          kind: "rollback",
          stepId: shown.id,
          hosts: input === "b" && c.host ? [c.host] : undefined,
        });
      }
      return;
    case "after-failure":
      if (input === "r") return q.answer({ kind: "retry" });
      if (input === "b") return q.answer({ kind: "rollback", hosts: c.host ? [c.host] : q.failedHosts });
      if (input === "B") return q.answer({ kind: "rollback" });
      if (input === "s") return dispatch({ type: "open", modal: { kind: "skip-reason", text: "" } });
      if (input === "x") return q.answer({ kind: "abort" });
      return;
    case "unknown-hosts":
      if (input === "r") return q.answer("rerun");
      if (input === "d") return q.answer("done");
      if (input === "x") return q.answer("abort");
      return;
    case "rollback-on-abort":
      if (input === "y") return q.answer(q.completed);
      if (input === "n") return q.answer([]);
      return;
    case "host-key":
      if (input === "y") return q.answer(true);
      if (input === "n") return q.answer(false);
      return;
    case "confirm-word":
    case "secret":
    case "passphrase":
      return;
  }
}

function modalKey(c: KeyContext, modal: Modal, input: string, key: Key): void {
  const { dispatch, question: q } = c;
  // Typed fast (or pasted), text and Enter arrive as one chunk: "wipe-it\r".
  const enter = key.return || /[\r\n]/.test(input);
  const typed = key.return ? "" : input.replace(/[\r\n][\s\S]*$/, "");
  switch (modal.kind) {
    case "help":
      return dispatch({ type: "close" });
    case "quit":
      if (input === "y") {
        dispatch({ type: "close" });
        c.bridge?.abortAll();
        c.onQuit?.();
        if (c.finished || !c.bridge) c.exit();
        else c.quit();
        return;
      }
      if (input === "n" || key.escape) return dispatch({ type: "close" });
      return;
    case "skip-reason":
      if (key.escape) return dispatch({ type: "close" });
      if (enter) {
        dispatch({ type: "close" });
        if (q?.kind === "before-step" || q?.kind === "after-failure")
          q.answer({ kind: "skip", reason: (modal.text + typed).trim() });
        return;
      }
      return typing(c, input, key);
    case "confirm-word": {
      if (key.escape) {
        dispatch({ type: "close" });
        if (q?.kind === "confirm-word") q.answer(undefined);
        return;
      }
      if (!enter) return typing(c, input, key);
      const word = modal.text + typed;
      if (q?.kind !== "confirm-word") return dispatch({ type: "close" });
      if (word === q.step.confirm) {
        dispatch({ type: "close" });
        return q.answer(word);
      }
      return dispatch({ type: "wrong-word" });
    }
    case "secret": {
      if (!key.escape && !enter) return typing(c, input, key);
      dispatch({ type: "close" });
      const value = modal.text + typed;
      if (q?.kind === "secret" || q?.kind === "passphrase")
        q.answer(key.escape || value === "" ? undefined : value);
      return;
    }
    case "none":
      return;
  }
}

function typing(c: KeyContext, input: string, key: Key): void {
  if (key.backspace || key.delete) return c.dispatch({ type: "backspace" });
  if (input && !key.ctrl && !key.meta && !key.tab && !key.upArrow && !key.downArrow)
    c.dispatch({ type: "type", text: input });
}

export function footerKeys(
  q: Question | undefined,
  modal: Modal,
  mode: Mode,
  finished: boolean,
  autoRead: boolean,
): string {
  if (modal.kind !== "none")
    return modal.kind === "help" ? "any key closes the help" : "Enter confirm · Esc back";
  if (mode === "DRY RUN")
    return "DRY RUN: nothing runs · ↑↓ steps · Tab machine · PgUp/PgDn output · ? help · q quit";
  if (finished) return "run finished · ↑↓ browse steps · Tab machine · q quit";
  const common = "↑↓ steps · Tab machine · ? help · q quit";
  switch (q?.kind) {
    case "before-step":
      return `Enter/y run · s skip · b/B roll back shown step · a auto-run read-only [${autoRead ? "on" : "off"}] · ${common}`;
    case "after-failure":
      return `r retry · b/B roll back (machine/all) · s skip · x abort · ${common}`;
    case "unknown-hosts":
      return "r run again · d mark done · x abort";
    case "rollback-on-abort":
    case "host-key":
      return "y yes · n no";
    case "confirm-word":
    case "secret":
    case "passphrase":
      return "type, then Enter · Esc back";
    case undefined:
      return `running… · PgUp/PgDn output · ${common}`;
  }
}
