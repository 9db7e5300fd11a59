import { Box, Text } from "ink";
import type { HostStatus } from "../../engine/events.ts";
import { type HostState, stoppedByOperator } from "../../engine/state.ts";
import { statusColor, statusGlyph, type Theme } from "../theme.ts";

export interface HostGridProps {
  hosts: string[];
  states: Record<string, HostState>;
  selected?: string;
  /** Rows, including the "… more" line when not every machine fits. */
  height: number;
  width: number;
  theme: Theme;
  /** The clock (ms since the epoch), for the elapsed time of what runs. */
  now: number;
}

/**
 * The step's machines: status, duration and exit code each; the selected one highlighted. When they do
 * not all fit (a fleet), the first row counts them by status, and the rows show the failed ones first.
 */
export function HostGrid({ hosts, states, selected, height, width, theme, now }: HostGridProps) {
  if (hosts.length === 0 || height <= 0) return null;
  const fits = hosts.length <= height;
  const statusOf = (h: string) => states[h]?.status ?? "pending";
  const order = fits ? hosts : [...hosts].sort((a, b) => RANK[statusOf(a)] - RANK[statusOf(b)]);
  // A fleet: the counts row, the machines, and (room permitting) a row saying which ones are shown.
  const footRow = !fits && height >= 3;
  const rows = fits ? hosts.length : Math.max(1, height - (footRow ? 2 : 1));
  const at = Math.max(0, order.indexOf(selected ?? ""));
  const start = Math.max(0, Math.min(at - Math.floor(rows / 2), order.length - rows));
  const shown = order.slice(start, start + rows);
  const nameWidth = Math.min(18, Math.max(6, ...hosts.map((h) => h.length)));
  return (
    <Box flexDirection="column" height={height} width={width} flexShrink={0} overflow="hidden">
      {fits ? null : <Text wrap="truncate-end">{countsLine(hosts.map(statusOf))}</Text>}
      {shown.map((h) => {
        const s = states[h] ?? { status: "pending" as const, exitCode: null };
        // A machine running again (a retry) still carries its last result: not shown until it has a new one.
        const settled = !["pending", "awaiting-decision", "running", "waiting"].includes(s.status);
        const active = s.status === "running" || s.status === "waiting";
        // What runs shows how long it has, against how long it may take: 0:42/3:00.
        const clock =
          active && s.since !== undefined
            ? `${minutes(now - s.since)}${s.timeoutMs !== undefined ? `/${minutes(s.timeoutMs)}` : ""}`
            : "";
        const secs = settled && s.durationMs !== undefined ? `${(s.durationMs / 1000).toFixed(1)}s` : "";
        const exit = settled && s.exitCode !== null && s.exitCode !== undefined ? `exit ${s.exitCode}` : "";
        const timing = clock ? clock.padEnd(14) : `${secs.padStart(6)} ${exit.padEnd(7)}`;
        // "exit code 3" says again what the exit column says.
        // Stopped by the operator (q, Ctrl-C) is not a failure of the command: say so, in amber.
        const stopped = stoppedByOperator(s);
        const label = stopped ? "stopped" : s.status === "not-applicable" ? "n/a" : s.status;
        const detail = stopped
          ? ""
          : ((settled ? s.error : undefined) ?? s.detail ?? "").replace(/^exit code \d+$/, "");
        const mark = h === selected ? "▸" : " ";
        return (
          <Text
            key={h}
            inverse={h === selected}
            color={stopped ? theme.warning : statusColor(s.status, theme)}
            wrap="truncate-end"
          >
            {`${mark}${statusGlyph(s.status)} ${h.padEnd(nameWidth)} ${label.padEnd(11)} ${timing} ${detail}`}
          </Text>
        );
      })}
      {!footRow ? null : (
        <Text color={theme.muted} wrap="truncate-end">
          {`  ${start + 1}-${start + shown.length} of ${hosts.length}, failed first (Tab moves${order.some((h) => FAILED.includes(statusOf(h))) ? ", f next failed" : ""})`}
        </Text>
      )}
    </Box>
  );
}

const FAILED: readonly HostStatus[] = ["failed", "unknown"];

/** The order a fleet's rows are shown in: what needs the operator first, what is done last. */
const RANK: Record<HostStatus, number> = {
  failed: 0,
  unknown: 1,
  "awaiting-decision": 2,
  running: 3,
  waiting: 4,
  pending: 5,
  "rolled-back": 6,
  ok: 7,
  skipped: 8,
  "not-applicable": 9,
};

/** "200 machines: ✗ 3 failed · ▶ 16 running · ✓ 150 ok · · 31 pending", in RANK's order. */
function countsLine(statuses: HostStatus[]): string {
  const counts = new Map<HostStatus, number>();
  for (const st of statuses) counts.set(st, (counts.get(st) ?? 0) + 1);
  const parts = [...counts]
    .sort(([a], [b]) => RANK[a] - RANK[b])
    .map(([st, n]) => `${statusGlyph(st)} ${n} ${st === "not-applicable" ? "n/a" : st}`);
  return ` ${statuses.length} machines: ${parts.join(" · ")}`;
}

/** 0:42, 3:00, 1:02:03. */
function minutes(ms: number): string {
  const s = Math.floor(Math.max(0, ms) / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}
