import { Box, Text } from "ink";
import { plural } from "../../util/plural.ts";
import { type Theme, type Tone, toneColor } from "../theme.ts";

export type Mode = "LIVE" | "DRY RUN" | "RESUMED";

/** How the run ended, shown where LIVE was once it is over. */
export type Ending = "FINISHED" | "FAILED" | "STOPPED" | "NOTHING RAN";

export interface HeaderProps {
  title: string;
  mode: Mode;
  inventory: string;
  stepsDone: number;
  stepsTotal: number;
  hostsDone: number;
  hostsTotal: number;
  /** Machines in the plan (a dry run has no progress to show, so it says how big the plan is). */
  machines: number;
  elapsedMs: number;
  width: number;
  theme: Theme;
  /** Read-only steps run without asking (--auto-read, the a key). */
  autoRead: boolean;
  /** What is happening now and what the run waits for, in one line. */
  status: { text: string; tone: Tone };
  /** The run is over: how it ended (it replaces LIVE or RESUMED). */
  ending?: Ending;
}

/** Three rows: title, mode and clock; progress and inventory; the status line. */
export function Header(p: HeaderProps) {
  const barWidth = Math.max(8, Math.min(30, Math.floor(p.width / 5)));
  const filled = p.stepsTotal === 0 ? 0 : Math.round((p.stepsDone / p.stepsTotal) * barWidth);
  const modeColor = p.ending
    ? endingColor(p.ending, p.theme)
    : p.mode === "DRY RUN"
      ? p.theme.accent
      : p.mode === "RESUMED"
        ? p.theme.warning
        : p.theme.danger;
  const clock = p.mode === "DRY RUN" ? "" : ` ${formatElapsed(p.elapsedMs)}`;
  return (
    <Box flexDirection="column" height={3} width={p.width} flexShrink={0}>
      <Box width={p.width}>
        <Box flexGrow={1} flexShrink={1}>
          <Text bold wrap="truncate-end">
            {p.title}
          </Text>
        </Box>
        <Box flexShrink={0}>
          {p.autoRead ? <Text color={p.theme.accent}>auto-read on · </Text> : null}
          <Text color={modeColor} bold inverse>
            {` ${p.ending ?? p.mode} `}
          </Text>
          <Text>{clock}</Text>
        </Box>
      </Box>
      <Box width={p.width}>
        {p.mode === "DRY RUN" ? (
          <Box flexShrink={0}>
            <Text>{`${plural(p.stepsTotal, "step")} · ${plural(p.machines, "machine")} · `}</Text>
          </Box>
        ) : (
          <Box flexShrink={0}>
            <Text color={p.theme.ok}>{"█".repeat(filled)}</Text>
            <Text color={p.theme.muted}>{"░".repeat(barWidth - filled)}</Text>
            <Text>{` steps ${p.stepsDone}/${p.stepsTotal} · this step ${p.hostsDone}/${p.hostsTotal} machines · `}</Text>
          </Box>
        )}
        <Box flexGrow={1} flexShrink={1}>
          <Text color={p.theme.muted} wrap="truncate-start">{`inventory ${p.inventory}`}</Text>
        </Box>
      </Box>
      <Text color={toneColor(p.status.tone, p.theme)} bold wrap="truncate-end">
        {p.status.text}
      </Text>
    </Box>
  );
}

function endingColor(e: Ending, theme: Theme): string | undefined {
  switch (e) {
    case "FINISHED":
      return theme.ok;
    case "FAILED":
      return theme.danger;
    case "STOPPED":
    case "NOTHING RAN":
      return theme.warning;
  }
}

export function formatElapsed(ms: number): string {
  const s = Math.floor(Math.max(0, ms) / 1000);
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m % 60)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}
