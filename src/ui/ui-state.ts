/** What the operator is looking at and typing; the run itself lives in the RunStore. */
export type Modal =
  | { kind: "none" }
  | { kind: "help" }
  /** `empty`: Enter was pressed with no reason, which is not accepted (the reason is the audit trail). */
  | { kind: "skip-reason"; text: string; empty: boolean }
  | { kind: "confirm-word"; text: string }
  | { kind: "secret"; text: string }
  | { kind: "quit" }
  /** Roll back a step that ran, on some machines (all when `hosts` is absent), once the operator says y. */
  | { kind: "rollback"; stepId: string; hosts?: string[] }
  /** The whole shown step on the selected machine, scrolled `scroll` lines down. */
  | { kind: "details"; scroll: number };

export interface UiState {
  /** The step shown; undefined follows the step the run is at. */
  browsing?: string;
  /** The machine shown; undefined is the first of the step (a failed one first). */
  host?: string;
  /** Lines scrolled back from the end of the output (0 follows the tail). */
  scroll: number;
  modal: Modal;
  /** A one-off message in the status line ("this step has no rollback"), gone at the next key. */
  flash?: string;
  /** Read-only steps run without asking (--auto-read, the a key). */
  autoRead: boolean;
}

export type UiAction =
  | { type: "browse"; stepId: string | undefined }
  /**
   * Relative moves are worked out here from the state, not by the key handler from the last frame, so
   * keys pressed faster than the screen redraws are all counted.
   */
  | { type: "browse-by"; by: number; order: readonly string[]; current: string | undefined }
  | { type: "select-host"; host: string | undefined }
  | { type: "select-host-by"; by: number; hosts: readonly string[]; current: string | undefined }
  | { type: "scroll-details"; by: number; max: number }
  | { type: "scroll"; by: number; max: number }
  | { type: "open"; modal: Modal }
  | { type: "type"; text: string }
  | { type: "backspace" }
  | { type: "empty-reason" }
  | { type: "flash"; text: string | undefined }
  | { type: "auto-read"; on: boolean }
  | { type: "close" };

export const initialUiState: UiState = { scroll: 0, modal: { kind: "none" }, autoRead: false };

export function uiReducer(state: UiState, action: UiAction): UiState {
  switch (action.type) {
    case "browse":
      return { ...state, browsing: action.stepId, host: undefined, scroll: 0 };
    case "browse-by": {
      const { order, current } = action;
      if (order.length === 0) return state;
      const from = Math.max(0, order.indexOf(state.browsing ?? current ?? order[0] ?? ""));
      const id = order[Math.max(0, Math.min(order.length - 1, from + action.by))];
      return { ...state, browsing: id === current ? undefined : id, host: undefined, scroll: 0 };
    }
    case "select-host":
      return { ...state, host: action.host, scroll: 0 };
    case "select-host-by": {
      const { hosts } = action;
      if (hosts.length === 0) return state;
      const from = Math.max(
        0,
        hosts.indexOf(state.host && hosts.includes(state.host) ? state.host : (action.current ?? "")),
      );
      return { ...state, host: hosts[(from + action.by + hosts.length * 10) % hosts.length], scroll: 0 };
    }
    case "scroll-details":
      return state.modal.kind === "details"
        ? {
            ...state,
            modal: {
              kind: "details",
              scroll: Math.max(0, Math.min(action.max, state.modal.scroll + action.by)),
            },
          }
        : state;
    case "scroll":
      return { ...state, scroll: Math.max(0, Math.min(action.max, state.scroll + action.by)) };
    case "open":
      return { ...state, modal: action.modal, flash: undefined };
    case "type": {
      const m = state.modal;
      switch (m.kind) {
        case "skip-reason":
          return { ...state, modal: { ...m, text: m.text + action.text, empty: false } };
        case "secret":
          return { ...state, modal: { ...m, text: m.text + action.text } };
        case "confirm-word":
          return { ...state, modal: { ...m, text: m.text + action.text } };
        case "none":
        case "help":
        case "quit":
        case "rollback":
        case "details":
          return state;
      }
      return state;
    }
    case "backspace": {
      const m = state.modal;
      switch (m.kind) {
        case "skip-reason":
        case "secret":
        case "confirm-word":
          return { ...state, modal: { ...m, text: m.text.slice(0, -1) } };
        case "none":
        case "help":
        case "quit":
        case "rollback":
        case "details":
          return state;
      }
      return state;
    }
    case "empty-reason":
      return state.modal.kind === "skip-reason"
        ? { ...state, modal: { ...state.modal, empty: true } }
        : state;
    case "flash":
      return state.flash === action.text ? state : { ...state, flash: action.text };
    case "auto-read":
      return { ...state, autoRead: action.on };
    case "close":
      return { ...state, modal: { kind: "none" } };
  }
}
