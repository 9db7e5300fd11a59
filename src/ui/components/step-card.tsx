import { Box, Text } from "ink";
import type { PlannedStep } from "../../model/plan.ts";
import { describeAction } from "../describe.ts";
import { riskColor, type Theme } from "../theme.ts";

export interface StepCardProps {
  step: PlannedStep;
  number: string;
  host?: string;
  height: number;
  theme: Theme;
}

/** The step shown: its prose, and what it runs on the selected machine, with its waits and risk. */
export function StepCard({ step, number, host, height, theme }: StepCardProps) {
  const target = step.targets.find((t) => t.host === host) ?? step.targets[0];
  const prose = step.prose
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l !== "");
  const actions = target ? target.actions.flatMap((a) => describeAction(a)) : [];
  const proseLines = Math.max(1, height - 2 - Math.min(actions.length, Math.max(2, height - 3)));
  return (
    <Box flexDirection="column" height={height}>
      <Box>
        <Text bold wrap="truncate-end">{`${number} ${step.title} `}</Text>
        <Text color={riskColor(step.risk, theme)}>{`[${step.risk}]`}</Text>
        {step.confirm ? <Text color={theme.danger}>{` type "${step.confirm}" to run`}</Text> : null}
      </Box>
      {prose.slice(0, proseLines).map((l, i) => (
        <Text key={`p${i}`} color={theme.muted} wrap="truncate-end">
          {l}
        </Text>
      ))}
      {step.notes.slice(0, 1).map((n, i) => (
        <Text key={`n${i}`} color={n.level === "info" ? theme.accent : theme.warning} wrap="truncate-end">
          {`${n.level}: ${n.text.split("\n")[0]}`}
        </Text>
      ))}
      {step.skipped ? <Text color={theme.muted}>{`skipped: ${step.skipped}`}</Text> : null}
      {!step.skipped && step.targets.length === 0 ? (
        <Text color={theme.muted}>manual step: nothing runs; confirm when it is done</Text>
      ) : null}
      {target ? <Text color={theme.accent}>{`on ${target.host}:`}</Text> : null}
      {actions.map((l, i) => (
        <Text key={`a${i}`} wrap="truncate-end" color={l.dim ? theme.muted : undefined}>
          {`  ${l.text}`}
        </Text>
      ))}
    </Box>
  );
}
