import { Box, Text } from "ink";
import type { OutputLine } from "../run-store.ts";
import type { Theme } from "../theme.ts";

export interface OutputPaneProps {
  host?: string;
  lines: readonly OutputLine[];
  /** Where the output comes from when it is not the shown step's own (the last step that ran). */
  from?: string;
  /** Lines scrolled back from the end; 0 follows the tail. */
  scroll: number;
  height: number;
  width: number;
  theme: Theme;
}

/** The selected machine's output: follows the tail, scrolls back, stderr marked with "!". */
export function OutputPane({ host, lines, from, scroll, height, width, theme }: OutputPaneProps) {
  const rows = Math.max(1, height - 1);
  const back = Math.min(scroll, Math.max(0, lines.length - rows));
  const end = lines.length - back;
  const visible = lines.slice(Math.max(0, end - rows), end);
  const where = back > 0 ? ` · ${back} lines back, End follows` : "";
  const title = `── output${host ? ` of ${host}` : ""}${from ? ` ${from}` : ""}${where} `;
  return (
    <Box flexDirection="column" height={height} width={width} flexShrink={0} overflow="hidden">
      <Text color={theme.muted} wrap="truncate-end">
        {title.padEnd(width, "─")}
      </Text>
      {visible.length === 0 ? <Text color={theme.muted}>(no output yet)</Text> : null}
      {visible.map((l, i) => (
        <Text
          key={`${end - visible.length + i}`}
          color={l.stream === "stderr" ? theme.stderr : l.stream === "note" ? theme.muted : undefined}
          wrap="truncate-end"
        >
          {`${l.stream === "stderr" ? "! " : "  "}${l.text}`}
        </Text>
      ))}
    </Box>
  );
}
