import { Box, Text } from "ink";
import type { HostState } from "../../engine/state.ts";
import { statusColor, statusGlyph, type Theme } from "../theme.ts";

export interface HostGridProps {
  hosts: string[];
  states: Record<string, HostState>;
  selected?: string;
  maxRows: number;
  theme: Theme;
}

/** The step's machines: status, duration and exit code each; the selected one highlighted. */
export function HostGrid({ hosts, states, selected, maxRows, theme }: HostGridProps) {
  if (hosts.length === 0) return null;
  const at = Math.max(0, hosts.indexOf(selected ?? ""));
  const start = Math.max(0, Math.min(at - Math.floor(maxRows / 2), hosts.length - maxRows));
  const shown = hosts.slice(start, start + maxRows);
  return (
    <Box flexDirection="column">
      {shown.map((h) => {
        const s = states[h] ?? { status: "pending" as const, exitCode: null };
        const secs = s.durationMs !== undefined ? `${(s.durationMs / 1000).toFixed(1)}s` : "";
        const exit = s.exitCode !== null && s.exitCode !== undefined ? `exit ${s.exitCode}` : "";
        const detail = s.error ?? s.detail ?? "";
        return (
          <Text key={h} inverse={h === selected} color={statusColor(s.status, theme)} wrap="truncate-end">
            {`${statusGlyph(s.status)} ${h.padEnd(14)} ${s.status.padEnd(11)} ${secs.padStart(6)} ${exit.padEnd(8)} ${detail}`}
          </Text>
        );
      })}
      {hosts.length > shown.length ? (
        <Text color={theme.muted}>{`  … ${hosts.length} machines (Tab to move)`}</Text>
      ) : null}
    </Box>
  );
}
