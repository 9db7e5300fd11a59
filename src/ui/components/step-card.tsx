import { Box, Text } from "ink";
import type { PlannedStep } from "../../model/plan.ts";
import { describeAction } from "../describe.ts";
import { proseRows } from "../prose.ts";
import { riskColor, type Theme } from "../theme.ts";

export interface StepCardProps {
  step: PlannedStep;
  number: string;
  host?: string;
  height: number;
  width: number;
  theme: Theme;
}

interface CardContent {
  prose: string[];
  notes: { level: "info" | "warning" | "danger"; text: string }[];
  remark?: string;
  target?: string;
  actions: { text: string; dim?: boolean }[];
  /** Each action as its first line and its facts (waits, timeout): for when the full text does not fit. */
  compact: { text: string; dim?: boolean }[];
}

function content(step: PlannedStep, host: string | undefined, width: number): CardContent {
  const target = step.targets.find((t) => t.host === host) ?? step.targets[0];
  return {
    // The selected machine reads the prose with its own values.
    prose: proseRows(target?.prose ?? step.prose, width),
    notes: step.notes.map((n) => ({ level: n.level, text: n.text.split("\n")[0] ?? "" })),
    remark: step.skipped
      ? `skipped: ${step.skipped}`
      : step.targets.length === 0
        ? "manual step: nothing runs here; confirm when it is done"
        : undefined,
    target: target?.host,
    actions: target ? target.actions.flatMap((a) => describeAction(a)) : [],
    compact: target
      ? target.actions.flatMap((a) => {
          const lines = describeAction(a);
          const facts = lines.at(-1)?.dim ? lines.slice(-1) : [];
          const body = lines.slice(0, lines.length - facts.length);
          const first = body[0] ? [{ text: `${body[0].text}${body.length > 1 ? " …" : ""}` }] : [];
          return [...first, ...facts];
        })
      : [],
  };
}

/** Rows the card would use with no limit: the layout gives it up to this many. */
export function cardLines(step: PlannedStep | undefined, host: string | undefined, width: number): number {
  if (!step) return 1;
  const c = content(step, host, width);
  return 1 + c.prose.length + c.notes.length + (c.remark ? 1 : 0) + (c.target ? 1 + c.actions.length : 0);
}

/**
 * The step shown: its prose, and what it runs on the selected machine, with its waits and risk. When
 * rows are short, what runs wins over the prose: the operator confirms commands, not paragraphs.
 */
export function StepCard({ step, number, host, height, width, theme }: StepCardProps) {
  const c = content(step, host, width);
  let left = height - 1;
  const take = (want: number, keep = 0) => {
    const n = Math.max(0, Math.min(want, left - keep));
    left -= n;
    return n;
  };
  const notes = c.notes.slice(0, take(Math.min(c.notes.length, 2)));
  const remark = c.remark && take(1) === 1 ? c.remark : undefined;
  // Every action's first line and waits beat the whole of the first action.
  const all = c.actions.length + 1 <= left ? c.actions : c.compact;
  const actionRows = c.target ? take(1 + all.length) : 0;
  const proseRows = take(c.prose.length);
  const actions = all.slice(0, Math.max(0, actionRows - 1));
  const cut = all.length > actions.length && actions.length > 0;
  return (
    <Box flexDirection="column" height={height} width={width} flexShrink={0} overflow="hidden">
      {/* Every row is one line (truncated): a wrapped row would push the title off the card. */}
      <Box flexShrink={0}>
        <Text bold wrap="truncate-end">{`${number} ${step.title} `}</Text>
        <Box flexShrink={0}>
          <Text
            color={riskColor(step.risk, theme)}
            bold={step.risk !== "read"}
          >{`[${step.risk}${step.keepGoing ? ", keep-going" : ""}]`}</Text>
        </Box>
      </Box>
      {c.prose.slice(0, proseRows).map((l, i) => (
        <Text key={`p${i}`} color={theme.muted} wrap="truncate-end">
          {i === proseRows - 1 && proseRows < c.prose.length ? `${l} …` : l}
        </Text>
      ))}
      {notes.map((n, i) => (
        <Text key={`n${i}`} color={n.level === "info" ? theme.accent : theme.warning} wrap="truncate-end">
          {`${n.level === "info" ? "note" : n.level}: ${n.text}`}
        </Text>
      ))}
      {remark ? (
        <Text color={theme.muted} wrap="truncate-end">
          {remark}
        </Text>
      ) : null}
      {actionRows > 0 ? <Text color={theme.accent} wrap="truncate-end">{`on ${c.target}:`}</Text> : null}
      {actions.map((l, i) => (
        <Text key={`a${i}`} wrap="truncate-end" color={l.dim ? theme.muted : undefined}>
          {`  ${cut && i === actions.length - 1 ? `${l.text} …` : l.text}`}
        </Text>
      ))}
    </Box>
  );
}
