import { Box, Text, useApp, useInput, useStdin } from "ink";
import { useEffect, useReducer } from "react";
import type { Theme } from "../theme.ts";
import { initialPromptState, type PromptVariable, promptReducer } from "../variable-prompt-state.ts";

export interface VariablePromptProps {
  variable: PromptVariable;
  theme: Theme;
  onDone(value: string | undefined): void;
}

/**
 * Asks for one variable before the run is planned: its description, default, choices or pattern; the
 * value is checked before it is taken, and a secret is never echoed. Once answered the prompt leaves one
 * line behind (`✓ name = value`), so the scrollback records what was given.
 */
export function VariablePrompt({ variable: v, theme, onDone }: VariablePromptProps) {
  const [state, dispatch] = useReducer(promptReducer, v, initialPromptState);
  const { exit } = useApp();
  useInput(
    (input, key) => {
      if (key.escape || (key.ctrl && input === "c")) return dispatch({ type: "cancel" });
      if (v.choices && (key.upArrow || key.downArrow))
        return dispatch({ type: "move", by: key.upArrow ? -1 : 1, count: v.choices.length });
      const enter = key.return || /[\r\n]/.test(input);
      const typed = key.return ? "" : input.replace(/[\r\n][\s\S]*$/, "");
      if (!v.choices && typed && !key.ctrl && !key.meta && !key.tab) dispatch({ type: "type", text: typed });
      if (key.backspace || key.delete) dispatch({ type: "backspace" });
      if (enter) dispatch({ type: "submit", variable: v });
    },
    { isActive: useStdin().isRawModeSupported && !state.answer },
  );
  useEffect(() => {
    if (!state.answer) return;
    onDone(state.answer.value);
    exit();
  }, [state.answer, onDone, exit]);

  // A secret's length is not shown either: always six dots, as in the journal.
  const shown = (value: string) => (v.secret ? "••••••" : value);
  if (state.answer) {
    const value = state.answer.value;
    return value === undefined ? (
      <Text color={theme.danger}>{`✗ ${v.name}: no value given; nothing was run`}</Text>
    ) : (
      <Text>
        <Text color={theme.ok}>✓ </Text>
        {`${v.name} = ${shown(value)}`}
      </Text>
    );
  }
  const rules = [
    v.default !== undefined ? `default ${v.default} (Enter keeps it)` : "",
    v.pattern ? `must match ${v.pattern}` : "",
    v.secret ? "secret: not shown, journaled or saved" : "",
  ].filter(Boolean);
  return (
    <Box flexDirection="column">
      <Text>
        <Text color={theme.accent} bold>{`? ${v.name}`}</Text>
        {v.describe ? <Text>{` — ${v.describe}`}</Text> : null}
      </Text>
      {rules.length > 0 ? <Text color={theme.muted}>{`  ${rules.join(" · ")}`}</Text> : null}
      {v.choices ? (
        v.choices.map((c, i) => (
          <Text key={c} color={i === state.choice ? theme.accent : undefined} bold={i === state.choice}>
            {`  ${i === state.choice ? "›" : " "} ${c}`}
          </Text>
        ))
      ) : (
        <Text>{`  > ${v.secret ? "•".repeat(state.text.length) : state.text}█`}</Text>
      )}
      {state.error ? <Text color={theme.danger}>{`  ✗ ${state.error}`}</Text> : null}
      <Text color={theme.muted}>
        {v.choices ? "  ↑↓ choose · Enter take it · Esc cancel" : "  Enter take it · Esc cancel"}
      </Text>
    </Box>
  );
}
