import { Box, Text } from "ink";
import type { PlannedStep } from "../../model/plan.ts";
import type { Theme } from "../theme.ts";

export interface RollbackBoxProps {
  step: PlannedStep;
  selected?: string;
  maxRows: number;
  theme: Theme;
}

/** The resolved rollback of the step for each machine, the selected machine first. */
export function RollbackBox({ step, selected, maxRows, theme }: RollbackBoxProps) {
  const targets = [...step.targets].sort((a, b) => (a.host === selected ? -1 : b.host === selected ? 1 : 0));
  const lines = targets.flatMap((t) =>
    t.rollback.length === 0
      ? [{ host: t.host, text: "(no rollback)" }]
      : t.rollback.map((r) => ({ host: t.host, text: r.command.trim().split("\n").join(" ; ") })),
  );
  return (
    <Box flexDirection="column">
      <Text color={theme.warning}>── rollback ──</Text>
      {lines.slice(0, maxRows).map((l, i) => (
        <Text key={`${l.host}${i}`} wrap="truncate-end" bold={l.host === selected}>
          {`${l.host}: ${l.text}`}
        </Text>
      ))}
      {lines.length > maxRows ? (
        <Text color={theme.muted}>{`  … ${lines.length - maxRows} more`}</Text>
      ) : null}
    </Box>
  );
}
