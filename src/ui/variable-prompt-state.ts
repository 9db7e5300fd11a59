import { MIN_SECRET_LENGTH } from "../engine/masker.ts";
import type { VarDecl } from "../model/runbook.ts";

/** What the operator is asked about a variable the runbook needs and nothing else gives. */
export interface PromptVariable {
  name: string;
  describe?: string;
  default?: string;
  choices?: string[];
  pattern?: string;
  secret: boolean;
}

export function promptVariableOf(decl: VarDecl): PromptVariable {
  return {
    name: decl.name,
    describe: decl.describe,
    default: decl.default === undefined ? undefined : String(decl.default),
    choices: decl.choices,
    pattern: decl.pattern,
    secret: decl.secret,
  };
}

export interface PromptState {
  text: string;
  /** The highlighted choice, for a variable with choices. */
  choice: number;
  error?: string;
  /** Set once answered: the value, or undefined when the operator backed out. */
  answer?: { value: string | undefined };
}

export type PromptAction =
  | { type: "type"; text: string }
  | { type: "backspace" }
  | { type: "move"; by: number; count: number }
  | { type: "submit"; variable: PromptVariable }
  | { type: "cancel" };

export function initialPromptState(v: PromptVariable): PromptState {
  const at = v.choices && v.default !== undefined ? v.choices.indexOf(v.default) : 0;
  return { text: "", choice: Math.max(0, at) };
}

/** Why `value` is refused for `v`, or undefined when it is fine; the planner checks it again. */
export function invalidValue(v: PromptVariable, value: string): string | undefined {
  if (value === "") return "a value is needed";
  if (v.secret && value.length < MIN_SECRET_LENGTH)
    return `a secret of at least ${MIN_SECRET_LENGTH} characters (a shorter one cannot be masked)`;
  if (v.choices && !v.choices.includes(value)) return `one of: ${v.choices.join(", ")}`;
  if (v.pattern) {
    let re: RegExp;
    try {
      re = new RegExp(v.pattern);
    } catch {
      return undefined;
    }
    if (!re.test(value)) return `must match ${v.pattern}`;
  }
  return undefined;
}

export function promptReducer(state: PromptState, action: PromptAction): PromptState {
  if (state.answer) return state;
  switch (action.type) {
    case "type":
      return { ...state, text: state.text + action.text, error: undefined };
    case "backspace":
      return { ...state, text: state.text.slice(0, -1), error: undefined };
    case "move":
      return action.count === 0
        ? state
        : { ...state, choice: (state.choice + action.by + action.count) % action.count, error: undefined };
    case "submit": {
      const v = action.variable;
      const value = v.choices
        ? (v.choices[state.choice] ?? "")
        : state.text === "" && v.default !== undefined && !v.secret
          ? v.default
          : state.text;
      const error = invalidValue(v, value);
      return error ? { ...state, error } : { ...state, error: undefined, answer: { value } };
    }
    case "cancel":
      return { ...state, answer: { value: undefined } };
  }
}
