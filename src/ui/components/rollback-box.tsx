import { Box, Text } from "ink";
import type { PlannedStep } from "../../model/plan.ts";
import type { Theme } from "../theme.ts";

export interface RollbackBoxProps {
  step: PlannedStep;
  selected?: string;
  /** Rows, including the title. */
  height: number;
  width: number;
  theme: Theme;
}

/** Machines that share a rollback command share a line: four brokers with one undo take one row. */
export function rollbackLines(step: PlannedStep, selected?: string): { hosts: string[]; text: string }[] {
  const groups = new Map<string, string[]>();
  for (const t of step.targets) {
    const text =
      t.rollback.length === 0
        ? "(no rollback)"
        : t.rollback.map((r) => r.command.trim().split("\n").join(" ; ")).join(" && ");
    groups.set(text, [...(groups.get(text) ?? []), t.host]);
  }
  const lines = [...groups].map(([text, hosts]) => ({ hosts, text }));
  return lines.sort(
    (a, b) => Number(b.hosts.includes(selected ?? "")) - Number(a.hosts.includes(selected ?? "")),
  );
}

/** The resolved rollback of the step for each machine, the selected machine's first. */
export function RollbackBox({ step, selected, height, width, theme }: RollbackBoxProps) {
  const lines = rollbackLines(step, selected);
  const room = Math.max(0, height - 1);
  const fits = lines.length <= room;
  const shown = lines.slice(0, fits ? room : Math.max(0, room - 1));
  return (
    <Box flexDirection="column" height={height} width={width} flexShrink={0} overflow="hidden">
      <Text color={theme.warning} wrap="truncate-end">
        {"── rollback ".padEnd(width, "─")}
      </Text>
      {shown.map((l) => (
        <Text key={l.hosts.join(",")} wrap="truncate-end" bold={l.hosts.includes(selected ?? "")}>
          {`${l.hosts.join(", ")}: ${l.text}`}
        </Text>
      ))}
      {fits ? null : <Text color={theme.muted}>{`  … ${lines.length - shown.length} more`}</Text>}
    </Box>
  );
}
