import { RunbookError } from "../model/errors.ts";
import type { SourcePos } from "../model/runbook.ts";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `90s`, `5m`, `1h`, `500ms`, or a bare number of seconds, in milliseconds. */
export function parseDuration(text: string, pos: SourcePos, key: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m?.[1]) {
    throw new RunbookError(
      "bad-attribute",
      `${key}=${text} is not a duration`,
      pos,
      `write ${key}=90s, ${key}=5m or ${key}=1h`,
    );
  }
  return Math.round(Number(m[1]) * (UNITS[m[2] ?? "s"] ?? 1000));
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
