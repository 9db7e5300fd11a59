/** What the operator is looking at and typing; the run itself lives in the RunStore. */
export type Modal =
  | { kind: "none" }
  | { kind: "help" }
  | { kind: "skip-reason"; text: string }
  | { kind: "confirm-word"; text: string; wrong: boolean }
  | { kind: "secret"; text: string }
  | { kind: "quit" };

export interface UiState {
  /** The step shown; undefined follows the step the run is at. */
  browsing?: string;
  /** The machine shown; undefined is the first of the step. */
  host?: string;
  /** Lines scrolled back from the end of the output (0 follows the tail). */
  scroll: number;
  modal: Modal;
}

export type UiAction =
  | { type: "browse"; stepId: string | undefined }
  | { type: "select-host"; host: string | undefined }
  | { type: "scroll"; by: number; max: number }
  | { type: "open"; modal: Modal }
  | { type: "type"; text: string }
  | { type: "backspace" }
  | { type: "wrong-word" }
  | { type: "close" };

export const initialUiState: UiState = { scroll: 0, modal: { kind: "none" } };

export function uiReducer(state: UiState, action: UiAction): UiState {
  switch (action.type) {
    case "browse":
      return { ...state, browsing: action.stepId, host: undefined, scroll: 0 };
    case "select-host":
      return { ...state, host: action.host, scroll: 0 };
    case "scroll":
      return { ...state, scroll: Math.max(0, Math.min(action.max, state.scroll + action.by)) };
    case "open":
      return { ...state, modal: action.modal };
    case "type": {
      const m = state.modal;
      switch (m.kind) {
        case "skip-reason":
        case "secret":
          return { ...state, modal: { ...m, text: m.text + action.text } };
        case "confirm-word":
          return { ...state, modal: { ...m, text: m.text + action.text, wrong: false } };
        default:
          return state;
      }
    }
    case "backspace": {
      const m = state.modal;
      switch (m.kind) {
        case "skip-reason":
        case "secret":
        case "confirm-word":
          return { ...state, modal: { ...m, text: m.text.slice(0, -1) } };
        default:
          return state;
      }
    }
    case "wrong-word":
      return state.modal.kind === "confirm-word"
        ? { ...state, modal: { ...state.modal, text: "", wrong: true } }
        : state;
    case "close":
      return { ...state, modal: { kind: "none" } };
  }
}
