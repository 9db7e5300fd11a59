import { Box, Text } from "ink";
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

/** The step's machines: status, duration and exit code each; the selected one highlighted. */
export function HostGrid({ hosts, states, selected, height, width, theme, now }: HostGridProps) {
  if (hosts.length === 0 || height <= 0) return null;
  const fits = hosts.length <= height;
  const rows = fits ? hosts.length : Math.max(1, height - 1);
  const at = Math.max(0, hosts.indexOf(selected ?? ""));
  const start = Math.max(0, Math.min(at - Math.floor(rows / 2), hosts.length - rows));
  const shown = hosts.slice(start, start + rows);
  const nameWidth = Math.min(18, Math.max(6, ...hosts.map((h) => h.length)));
  return (
    <Box flexDirection="column" height={height} width={width} flexShrink={0} overflow="hidden">
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
      {fits ? null : (
        <Text
          color={theme.muted}
        >{`  machines ${start + 1}-${start + rows} of ${hosts.length} (Tab moves)`}</Text>
      )}
    </Box>
  );
}

/** 0:42, 3:00, 1:02:03. */
function minutes(ms: number): string {
  const s = Math.floor(Math.max(0, ms) / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}
