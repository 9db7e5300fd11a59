import { Box, Text } from "ink";
import type { OutputLine } from "../run-store.ts";
import type { Theme } from "../theme.ts";

export interface OutputPaneProps {
  host?: string;
  lines: readonly OutputLine[];
  /** Lines scrolled back from the end; 0 follows the tail. */
  scroll: number;
  height: number;
  theme: Theme;
}

/** The selected machine's output: follows the tail, scrolls back, stderr marked. */
export function OutputPane({ host, lines, scroll, height, theme }: OutputPaneProps) {
  const rows = Math.max(1, height - 1);
  const end = Math.max(0, lines.length - scroll);
  const visible = lines.slice(Math.max(0, end - rows), end);
  return (
    <Box flexDirection="column" height={height}>
      <Text color={theme.muted}>
        {`── output${host ? ` of ${host}` : ""}${scroll > 0 ? ` (${scroll} lines back, End to follow)` : ""} ──`}
      </Text>
      {visible.length === 0 ? <Text color={theme.muted}>(nothing yet)</Text> : null}
      {visible.map((l, i) => (
        <Text
          key={`${end - visible.length + i}`}
          color={l.stream === "stderr" ? theme.stderr : undefined}
          wrap="truncate-end"
        >
          {`${l.stream === "stderr" ? "! " : "  "}${l.text}`}
        </Text>
      ))}
    </Box>
  );
}
