import { describe, expect, test } from "bun:test";
import { initialUiState, type UiState, uiReducer } from "../../src/ui/ui-state.ts";

describe("uiReducer", () => {
  test("typing and backspace in the confirmation box", () => {
    let s: UiState = uiReducer(initialUiState, {
      type: "open",
      modal: { kind: "confirm-word", text: "" },
    });
    for (const c of "wipx") s = uiReducer(s, { type: "type", text: c });
    s = uiReducer(s, { type: "backspace" });
    expect(s.modal).toEqual({ kind: "confirm-word", text: "wip" });
  });

  test("an empty skip reason is flagged until something is typed", () => {
    let s = uiReducer(initialUiState, {
      type: "open",
      modal: { kind: "skip-reason", text: "", empty: false },
    });
    s = uiReducer(s, { type: "empty-reason" });
    expect(s.modal).toEqual({ kind: "skip-reason", text: "", empty: true });
    s = uiReducer(s, { type: "type", text: "x" });
    expect(s.modal).toEqual({ kind: "skip-reason", text: "x", empty: false });
  });

  test("typing does nothing when no box takes text", () => {
    const s = uiReducer(initialUiState, { type: "open", modal: { kind: "help" } });
    expect(uiReducer(s, { type: "type", text: "x" })).toBe(s);
    expect(uiReducer(initialUiState, { type: "backspace" })).toBe(initialUiState);
  });

  test("browsing or choosing a machine starts the output at its tail again; scrolling is bounded", () => {
    let s = uiReducer(initialUiState, { type: "scroll", by: 50, max: 30 });
    expect(s.scroll).toBe(30);
    s = uiReducer(s, { type: "scroll", by: -100, max: 30 });
    expect(s.scroll).toBe(0);
    s = uiReducer(uiReducer(s, { type: "scroll", by: 5, max: 30 }), { type: "select-host", host: "a2" });
    expect(s).toMatchObject({ host: "a2", scroll: 0 });
    s = uiReducer(uiReducer(s, { type: "scroll", by: 5, max: 30 }), { type: "browse", stepId: "x" });
    expect(s).toMatchObject({ browsing: "x", host: undefined, scroll: 0 });
  });

  test("a flash message goes when a box opens", () => {
    const s = uiReducer(initialUiState, { type: "flash", text: "no rollback" });
    expect(s.flash).toBe("no rollback");
    expect(uiReducer(s, { type: "open", modal: { kind: "quit" } }).flash).toBeUndefined();
  });
});
