import { Text } from "ink";
import type { Theme } from "../theme.ts";

/** The keys that apply now, one line. */
export function Footer({ keys, theme }: { keys: string; theme: Theme }) {
  return (
    <Text color={theme.muted} wrap="truncate-end">
      {keys}
    </Text>
  );
}
