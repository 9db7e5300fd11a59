// CSI (colours, cursor moves), OSC (titles, links) and the two-byte escapes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape codes is the point
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]/g;
// Other C0 controls and DEL print nothing useful and could move the cursor.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f]/g;

/**
 * One line of a machine's output as the screen may show it: a remote program's escape codes would move
 * the cursor or recolour the screen (and break NO_COLOR), so they go; a carriage return (a progress bar
 * redrawing itself) keeps what was drawn last; tabs become spaces so columns are measured right.
 */
export function cleanLine(text: string): string {
  let line = text.endsWith("\r") ? text.slice(0, -1) : text;
  const cr = line.lastIndexOf("\r");
  if (cr >= 0) line = line.slice(cr + 1);
  line = line.replace(ESCAPES, "").replace(CONTROLS, "");
  if (!line.includes("\t")) return line;
  let out = "";
  for (const ch of line) out += ch === "\t" ? " ".repeat(8 - (out.length % 8)) : ch;
  return out;
}

/**
 * A machine's output as plain text for a log, a pipe or a Markdown timeline: no escape codes and no
 * control characters (a carriage-return redraw keeps what was drawn last), tabs and newlines kept.
 * The journal keeps the raw bytes; this is only how they are shown.
 */
export function plainText(text: string): string {
  // The common case, nothing to clean, costs one scan.
  if (!NEEDS_CLEANING.test(text)) return text;
  return text
    .split("\n")
    .map((line) => {
      let l = line.endsWith("\r") ? line.slice(0, -1) : line;
      const cr = l.lastIndexOf("\r");
      if (cr >= 0) l = l.slice(cr + 1);
      return l.replace(ESCAPES, "").replace(CONTROLS_BUT_TAB, "");
    })
    .join("\n");
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const NEEDS_CLEANING = /[\x00-\x08\x0b-\x1f\x7f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROLS_BUT_TAB = /[\x00-\x08\x0b-\x1f\x7f]/g;
