import { Box, Text } from "ink";
import type { Theme } from "../theme.ts";

export type Mode = "LIVE" | "DRY RUN" | "RESUMED";

export interface HeaderProps {
  title: string;
  mode: Mode;
  inventory: string;
  stepsDone: number;
  stepsTotal: number;
  hostsDone: number;
  hostsTotal: number;
  elapsedMs: number;
  width: number;
  theme: Theme;
  notice?: string;
}

export function Header(p: HeaderProps) {
  const barWidth = Math.max(10, Math.min(30, p.width - 60));
  const filled = p.stepsTotal === 0 ? 0 : Math.round((p.stepsDone / p.stepsTotal) * barWidth);
  const modeColor =
    p.mode === "DRY RUN" ? p.theme.accent : p.mode === "RESUMED" ? p.theme.warning : p.theme.danger;
  return (
    <Box flexDirection="column">
      <Box>
        <Text bold wrap="truncate-end">
          {p.title}
        </Text>
        <Text> </Text>
        <Text color={modeColor} bold inverse={p.theme.danger !== undefined}>
          {` ${p.mode} `}
        </Text>
      </Box>
      <Box>
        <Text color={p.theme.muted} wrap="truncate-end">
          {`inv ${p.inventory}  `}
        </Text>
        <Text color={p.theme.ok}>{"█".repeat(filled)}</Text>
        <Text color={p.theme.muted}>{"░".repeat(barWidth - filled)}</Text>
        <Text>{` steps ${p.stepsDone}/${p.stepsTotal}  machines ${p.hostsDone}/${p.hostsTotal}  ${formatElapsed(p.elapsedMs)}`}</Text>
      </Box>
      {p.notice ? (
        <Text color={p.theme.danger} wrap="truncate-end">
          {p.notice}
        </Text>
      ) : null}
    </Box>
  );
}

export function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m % 60)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}
