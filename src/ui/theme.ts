import type { HostStatus } from "../engine/events.ts";
import type { Risk } from "../model/runbook.ts";

/** The feeling of a message, mapped to a colour by the theme. */
export type Tone = "ok" | "danger" | "warning" | "accent" | "muted" | "running";

/** Semantic colours; with NO_COLOR every one is undefined and glyphs carry the meaning alone. */
export interface Theme {
  ok?: string;
  failed?: string;
  running?: string;
  waiting?: string;
  muted?: string;
  accent?: string;
  warning?: string;
  danger?: string;
  stderr?: string;
}

export const COLOR_THEME: Theme = {
  ok: "green",
  failed: "red",
  running: "cyan",
  waiting: "yellow",
  muted: "gray",
  accent: "cyan",
  warning: "yellow",
  danger: "red",
  stderr: "red",
};

export const NO_COLOR_THEME: Theme = {};

export function statusGlyph(status: HostStatus): string {
  switch (status) {
    case "pending":
      return "·";
    case "awaiting-decision":
      return "?";
    case "running":
      return "▶";
    case "waiting":
      return "…";
    case "ok":
      return "✓";
    case "failed":
      return "✗";
    case "skipped":
      return "↷";
    case "not-applicable":
      return "–";
    case "rolled-back":
      return "↺";
    case "unknown":
      return "!";
  }
}

export function statusColor(status: HostStatus, theme: Theme): string | undefined {
  switch (status) {
    case "pending":
    case "skipped":
    case "not-applicable":
      return theme.muted;
    case "awaiting-decision":
      return theme.accent;
    case "running":
      return theme.running;
    case "waiting":
      return theme.waiting;
    case "ok":
      return theme.ok;
    case "failed":
    case "unknown":
      return theme.failed;
    case "rolled-back":
      return theme.warning;
  }
}

export function riskColor(risk: Risk, theme: Theme): string | undefined {
  switch (risk) {
    case "read":
      return theme.ok;
    case "change":
      return theme.warning;
    case "destructive":
      return theme.danger;
  }
}

export function toneColor(tone: Tone, theme: Theme): string | undefined {
  switch (tone) {
    case "ok":
      return theme.ok;
    case "danger":
      return theme.danger;
    case "warning":
      return theme.warning;
    case "accent":
      return theme.accent;
    case "muted":
      return theme.muted;
    case "running":
      return theme.running;
  }
}
