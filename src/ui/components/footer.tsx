import { Box, Text } from "ink";
import { HELP_HINT } from "../key-map.ts";
import type { Theme } from "../theme.ts";

/** The keys that apply now, one row; "? help" always at the right. */
export function Footer({ keys, width, theme }: { keys: string; width: number; theme: Theme }) {
  return (
    <Box width={width} height={1} flexShrink={0}>
      <Box flexGrow={1} flexShrink={1}>
        <Text wrap="truncate-end">{keys}</Text>
      </Box>
      <Box flexShrink={0}>
        <Text color={theme.muted}>{` ${HELP_HINT}`}</Text>
      </Box>
    </Box>
  );
}
