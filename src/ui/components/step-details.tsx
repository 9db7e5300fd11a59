import { Box, Text } from "ink";
import type { HostState } from "../../engine/state.ts";
import type { PlannedStep } from "../../model/plan.ts";
import { DEFERRED } from "../../model/plan.ts";
import { plainText } from "../../util/clean-line.ts";
import { describeAction } from "../describe.ts";
import { proseRows, wrapAtSpaces } from "../prose.ts";
import { type Theme, type Tone, toneColor } from "../theme.ts";

export interface DetailLine {
  text: string;
  tone?: Tone;
}

/**
 * Everything about a step on one machine, uncut: the prose, every note, each action in full (a file
 * block's content too), and the rollback. The card shows the start of this; `i` shows all of it.
 */
export function detailLines(
  step: PlannedStep,
  host: string | undefined,
  width: number,
  live?: { state?: HostState; captured?: Record<string, string> },
): DetailLine[] {
  const target = step.targets.find((t) => t.host === host) ?? step.targets[0];
  const out: DetailLine[] = [];
  // What happened on this machine, whole: the grid cuts a reason at its width.
  const s = live?.state;
  if (target && s && (s.error || s.detail || s.tail)) {
    const tone = s.status === "failed" || s.status === "unknown" ? "danger" : "muted";
    out.push({
      text: `${target.host}: ${s.status}${s.exitCode !== null && s.exitCode !== undefined ? ` (exit ${s.exitCode})` : ""}${s.error ? `: ${plainText(s.error)}` : s.detail ? `: ${plainText(s.detail)}` : ""}`,
      tone,
    });
    for (const l of s.tail ?? []) out.push({ text: `  ${plainText(l)}`, tone });
    out.push({ text: "" });
  }
  for (const l of proseRows(target?.prose ?? step.prose, width)) out.push({ text: l, tone: "muted" });
  for (const n of step.notes) {
    const [first = "", ...rest] = n.text.split("\n");
    out.push({
      text: `${n.level === "info" ? "note" : n.level}: ${first}`,
      tone: n.level === "info" ? "accent" : "warning",
    });
    for (const l of rest) out.push({ text: `  ${l}`, tone: n.level === "info" ? "accent" : "warning" });
  }
  if (step.skipped) out.push({ text: `skipped: ${step.skipped}`, tone: "muted" });
  if (!target) {
    if (!step.skipped)
      out.push({ text: "manual step: nothing runs here; confirm when it is done", tone: "muted" });
    return out;
  }
  out.push({ text: "" }, { text: `on ${target.host}:`, tone: "accent" });
  for (const a of target.actions) {
    for (const l of describeAction(a)) out.push({ text: `  ${l.text}`, tone: l.dim ? "muted" : undefined });
    if (a.kind === "file")
      for (const l of filled(a.content, live?.captured).replace(/\n$/, "").split("\n"))
        out.push({ text: `  │ ${l}` });
    if (a.kind === "ts")
      for (const l of a.code.replace(/\n$/, "").split("\n")) out.push({ text: `  │ ${l}` });
  }
  out.push({ text: "" }, { text: `rollback on ${target.host}:`, tone: "warning" });
  if (target.rollback.length === 0) out.push({ text: "  (none)", tone: "muted" });
  for (const r of target.rollback)
    r.command
      .replace(/\n$/, "")
      .split("\n")
      .forEach((l, i) => {
        out.push({ text: `  ${i === 0 ? "$" : " "} ${l}` });
      });
  return out;
}

/**
 * A file's preview as it will be written: values captured so far filled in; one not known yet reads
 * ⟨name⟩ (never the internal ⟨name|raw⟩).
 */
function filled(text: string, captured: Record<string, string> | undefined): string {
  return text.replace(DEFERRED, (_w, name: string) => captured?.[name] ?? `⟨${name}⟩`);
}

/** Wraps lines to `width` columns, so scrolling counts rows as they are drawn; a command's wrapped rows are indented further. */
export function wrapLines(lines: DetailLine[], width: number): DetailLine[] {
  return lines.flatMap((l) => wrapAtSpaces(l.text, width, 2).map((text) => ({ text, tone: l.tone })));
}

export interface StepDetailsProps {
  title: string;
  lines: DetailLine[];
  scroll: number;
  width: number;
  height: number;
  theme: Theme;
}

/** A full-body box with the step's details, scrolled; the title says which rows are shown. */
export function StepDetails({ title, lines, scroll, width, height, theme }: StepDetailsProps) {
  const rows = Math.max(1, height - 3);
  const start = Math.max(0, Math.min(scroll, lines.length - rows));
  const shown = lines.slice(start, start + rows);
  const where = lines.length > rows ? `[${start + 1}-${start + shown.length} of ${lines.length}] ` : "";
  return (
    <Box
      flexDirection="column"
      borderStyle="round"
      borderColor={theme.accent}
      paddingX={1}
      width={width}
      height={height}
      flexShrink={0}
      overflow="hidden"
    >
      <Box flexShrink={0}>
        <Text bold color={theme.accent} wrap="truncate-end">{`${where}${title}`}</Text>
      </Box>
      {shown.map((l, i) => (
        <Text key={`${start + i}`} color={l.tone ? toneColor(l.tone, theme) : undefined} wrap="truncate-end">
          {l.text === "" ? " " : l.text}
        </Text>
      ))}
    </Box>
  );
}
