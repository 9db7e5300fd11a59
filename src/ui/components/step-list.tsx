import { Box, Text } from "ink";
import type { HostStatus } from "../../engine/events.ts";
import { statusColor, statusGlyph, type Theme } from "../theme.ts";

export interface StepRow {
  id: string;
  title: string;
  phase: string;
  status: HostStatus;
}

export interface StepListProps {
  rows: StepRow[];
  /** The step the run is at. */
  current?: string;
  /** The step shown on the right. */
  shown?: string;
  height: number;
  width: number;
  theme: Theme;
}

/** Phases and steps with a status glyph each, scrolled so the shown step stays visible. */
export function StepList(p: StepListProps) {
  const lines: { key: string; text: string; color?: string; bold?: boolean; inverse?: boolean }[] = [];
  let phase: string | undefined;
  for (const r of p.rows) {
    if (r.phase !== phase) {
      phase = r.phase;
      if (r.phase)
        lines.push({ key: `phase-${r.phase}-${r.id}`, text: r.phase, color: p.theme.accent, bold: true });
    }
    // › where the run is; ▸ the step shown on the right when it is another (the inverse bar says the
    // same in colour, but not in a plain copy of the screen).
    const marker = r.id === p.current ? "›" : r.id === p.shown ? "▸" : " ";
    lines.push({
      key: r.id,
      text: `${marker}${statusGlyph(r.status)} ${r.title}`,
      color: statusColor(r.status, p.theme),
      inverse: r.id === p.shown,
      bold: r.id === p.current,
    });
  }
  const focus = Math.max(
    0,
    lines.findIndex((l) => l.key === p.shown),
  );
  const start = Math.max(0, Math.min(focus - Math.floor(p.height / 2), lines.length - p.height));
  const visible = lines.slice(start, start + p.height);
  return (
    <Box flexDirection="column" width={p.width} height={p.height} flexShrink={0} overflow="hidden">
      {visible.map((l) => (
        <Text key={l.key} color={l.color} bold={l.bold} inverse={l.inverse} wrap="truncate-end">
          {l.text}
        </Text>
      ))}
    </Box>
  );
}
