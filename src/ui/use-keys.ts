import { type Key, useInput } from "ink";
import type { Dispatch } from "react";
import type { ProcessCheck } from "../engine/process-check.ts";
import type { Question } from "./asking.ts";
import type { Mode } from "./components/header.tsx";
import type { DecisionBridge } from "./decision-bridge.ts";
import type { Modal, UiAction, UiState } from "./ui-state.ts";
import type { View } from "./view-model.ts";

export interface KeyContext {
  ui: UiState;
  dispatch: Dispatch<UiAction>;
  question?: Question;
  bridge?: DecisionBridge;
  view: View;
  mode: Mode;
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

/** Turns keys into UI actions and answers to the engine's questions. It never runs anything itself. */
export function useKeys(c: KeyContext, active: boolean): void {
  useInput((input, key) => handleKey(c, input, key), { isActive: active });
}

export function handleKey(c: KeyContext, input: string, key: Key): void {
  const { ui, dispatch, question: q, view } = c;
  if (ui.modal.kind !== "none") return modalKey(c, ui.modal, input, key);
  if (ui.flash) dispatch({ type: "flash", text: undefined });
  if (input === "?") return dispatch({ type: "open", modal: { kind: "help" } });
  if (input === "q" || (key.ctrl && input === "c")) {
    if (c.mode === "DRY RUN" || view.finished || !c.bridge) return c.exit();
    // Between steps nothing runs, so nothing is lost by quitting at once.
    if (view.running) return dispatch({ type: "open", modal: { kind: "quit" } });
    return quitNow(c);
  }
  // Browsing and scrolling work whatever the run is doing.
  if (key.escape) return dispatch({ type: "browse", stepId: undefined });
  if (key.upArrow || key.downArrow) {
    return dispatch({
      type: "browse-by",
      by: key.upArrow ? -1 : 1,
      order: view.entries.map((e) => e.step.id),
      current: view.current,
    });
  }
  if (key.tab || key.leftArrow || key.rightArrow) return selectHost(c, key);
  if (input === "i") return dispatch({ type: "open", modal: { kind: "details", scroll: 0 } });
  const max = Math.max(0, (view.output?.lines.length ?? 0) - c.pageRows);
  if (key.pageUp) return dispatch({ type: "scroll", by: Math.max(1, c.pageRows - 1), max });
  if (key.pageDown) return dispatch({ type: "scroll", by: -Math.max(1, c.pageRows - 1), max });
  if (key.home) return dispatch({ type: "scroll", by: max, max });
  if (key.end) return dispatch({ type: "scroll", by: -max, max });
  if (c.mode === "DRY RUN" || !c.bridge) return;
  if (input === "a") {
    const on = !ui.autoRead;
    dispatch({ type: "auto-read", on });
    // The read-only step asked about now runs at once.
    return c.bridge.setAutoRead(on, q?.kind === "before-step" && q.step.risk === "read" ? [q.id] : []);
  }
  if (!q) return;
  switch (q.kind) {
    case "before-step": {
      const elsewhere = ui.browsing !== undefined && ui.browsing !== q.step.id;
      if (key.return || input === "y" || input === "s") {
        // A key meant for the waiting step, pressed while looking at another: show that step first.
        if (elsewhere) {
          dispatch({ type: "browse", stepId: undefined });
          return dispatch({
            type: "flash",
            text: `back at ${numberOf(view, q.step.id)}, which waits for you`,
          });
        }
        if (input === "s")
          return dispatch({ type: "open", modal: { kind: "skip-reason", text: "", empty: false } });
        return q.answer({ kind: "run" });
      }
      if (input === "b" || input === "B") {
        const target = view.rollbackTarget;
        if (!target)
          return dispatch({ type: "flash", text: "nothing to roll back here: ↑ to a step that ran, then b" });
        const hosts = input === "b" ? [target.host] : target.step.targets.map((t) => t.host);
        if (!target.step.targets.some((t) => hosts.includes(t.host) && t.rollback.length > 0))
          return dispatch({
            type: "flash",
            text: `"${target.step.title}" has no rollback on ${hosts.join(", ")}`,
          });
        return dispatch({
          type: "open",
          modal: { kind: "rollback", stepId: target.step.id, hosts: input === "b" ? hosts : undefined },
        });
      }
      return;
    }
    case "after-failure":
      if (input === "r") return q.answer({ kind: "retry" });
      if (input === "s")
        return dispatch({ type: "open", modal: { kind: "skip-reason", text: "", empty: false } });
      if (input === "b" || input === "B") {
        // b: the selected machine, then the question comes back; B: every machine, then the run stops.
        const hosts = input === "b" && view.host ? [view.host] : undefined;
        const covered = q.step.targets.filter((t) => !hosts || hosts.includes(t.host));
        if (!covered.some((t) => t.rollback.length > 0))
          return dispatch({
            type: "flash",
            text: `"${q.step.title}" has no rollback${hosts ? ` on ${hosts.join(", ")}` : ""}`,
          });
        return dispatch({ type: "open", modal: { kind: "rollback", stepId: q.step.id, hosts } });
      }
      if (input === "x") return q.answer({ kind: "abort" });
      return;
    case "unknown-host":
      // Never offered while the command may still be running there (or cannot be looked at).
      if (input === "r" && canRerun(q.check)) return q.answer("rerun");
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

function selectHost(c: KeyContext, key: Key): void {
  const by = key.leftArrow || (key.tab && key.shift) ? -1 : 1;
  c.dispatch({ type: "select-host-by", by, hosts: c.view.hosts, current: c.view.host });
}

function quitNow(c: KeyContext): void {
  c.bridge?.abortAll();
  c.onQuit?.();
  if (c.view.finished || !c.bridge) c.exit();
  else c.quit();
}

function numberOf(view: View, id: string): string {
  const i = view.entries.findIndex((e) => e.step.id === id);
  return `step ${i + 1}/${view.entries.length}`;
}

function modalKey(c: KeyContext, modal: Modal, input: string, key: Key): void {
  const { dispatch, question: q } = c;
  // Typed fast (or pasted), text and Enter arrive as one chunk: "wipe-it\r".
  const enter = key.return || /[\r\n]/.test(input);
  const typed = key.return ? "" : input.replace(/[\r\n][\s\S]*$/, "");
  switch (modal.kind) {
    case "help":
      return dispatch({ type: "close" });
    case "details": {
      const { rows, lines } = c.details;
      const max = Math.max(0, lines - rows);
      const page = Math.max(1, rows - 1);
      if (key.upArrow || key.downArrow)
        return dispatch({ type: "scroll-details", by: key.upArrow ? -1 : 1, max });
      if (key.pageUp || key.pageDown)
        return dispatch({ type: "scroll-details", by: key.pageUp ? -page : page, max });
      if (key.home || key.end)
        return dispatch({ type: "scroll-details", by: key.home ? -lines : lines, max });
      if (key.tab || key.leftArrow || key.rightArrow) return selectHost(c, key);
      return dispatch({ type: "close" });
    }
    case "quit":
      if (input === "y") {
        dispatch({ type: "close" });
        return quitNow(c);
      }
      if (input === "n" || key.escape) return dispatch({ type: "close" });
      return;
    case "rollback":
      if (input === "y") {
        dispatch({ type: "close" });
        if (q?.kind === "after-failure") return q.answer({ kind: "rollback", hosts: modal.hosts });
        if (q?.kind === "before-step")
          return q.answer({ kind: "rollback", stepId: modal.stepId, hosts: modal.hosts });
        return;
      }
      if (input === "n" || key.escape) return dispatch({ type: "close" });
      return;
    case "skip-reason": {
      if (key.escape) return dispatch({ type: "close" });
      if (!enter) return typing(c, input, key);
      const reason = (modal.text + typed).trim();
      if (reason === "") return dispatch({ type: "empty-reason" });
      dispatch({ type: "close" });
      if (q?.kind === "before-step" || q?.kind === "after-failure") q.answer({ kind: "skip", reason });
      return;
    }
    case "confirm-word": {
      if (key.escape) {
        dispatch({ type: "close" });
        if (q?.kind === "confirm-word") q.answer(undefined);
        return;
      }
      if (!enter) return typing(c, input, key);
      // Right or wrong, the engine hears it: each attempt is journaled, and a wrong one asked again.
      dispatch({ type: "close" });
      if (q?.kind === "confirm-word") q.answer(modal.text + typed);
      return;
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

/** The keys that apply now, most important first (the footer cuts the end on a narrow screen). */
export function footerKeys(
  q: Question | undefined,
  modal: Modal,
  mode: Mode,
  view: View,
  browsing: boolean,
  autoRead: boolean,
): string {
  switch (modal.kind) {
    case "help":
      return "any key closes the help";
    case "details":
      return "↑↓ PgUp/PgDn scroll · Tab machine · any other key closes";
    case "skip-reason":
      return "type the reason · Enter skip · Esc back";
    case "confirm-word":
      return "type the word · Enter run · Esc back";
    case "secret":
      return "type it (hidden) · Enter done · Esc leave empty";
    case "quit":
      return "y quit (resumable) · n stay";
    case "rollback":
      return "y roll back · n cancel";
    case "none":
      break;
  }
  // The keys of the moment first, then q, then moving around: an 80-column footer cuts the end.
  const nav = "i details · Tab machine · ↑↓ steps · PgUp/PgDn output";
  if (mode === "DRY RUN") return `q quit · ${nav}`;
  if (view.finished) return `q quit · ${nav}`;
  if (browsing && q?.kind === "before-step") return `Esc back · b/B roll back this step · q quit · ${nav}`;
  if (browsing) return `Esc back · q quit · ${nav}`;
  switch (q?.kind) {
    case "before-step":
      return `Enter run · s skip · b/B roll back · q quit · ${nav} · a auto-read ${autoRead ? "off" : "on"}`;
    case "after-failure":
      return `r retry · s skip on · b/B roll back · x stop · q quit · ${nav}`;
    case "unknown-host":
      return canRerun(q.check) ? "r run again there · d mark done · x stop" : "d mark done · x stop";
    case "rollback-on-abort":
    case "host-key":
      return "y yes · n no";
    case "confirm-word":
    case "secret":
    case "passphrase":
      return "type, then Enter · Esc back";
    case undefined:
      return `q quit (asks first) · ${nav}`;
  }
}

/** A machine's step may be run again only once its command is known not to be running. */
export function canRerun(check: ProcessCheck): boolean {
  return check.kind === "gone" || check.kind === "not-recorded";
}
