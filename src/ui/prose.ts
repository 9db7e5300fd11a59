/**
 * A step's Markdown prose as screen rows: lines of one paragraph (which the source wraps at its own
 * width) are joined and wrapped again at the screen's; lists, tables, quotes, headings and code keep
 * their line breaks, and blank lines between paragraphs are dropped (rows are scarce).
 */
export function proseRows(text: string, width: number): string[] {
  const paragraphs: string[] = [];
  let joinable = false;
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (line.trim() === "") {
      joinable = false;
      continue;
    }
    const structured = /^\s*([-*+>|#]|\d+[.)]\s|```|~~~|\s{4})/.test(line);
    if (joinable && !structured) paragraphs[paragraphs.length - 1] += ` ${line.trim()}`;
    else paragraphs.push(line);
    joinable = !structured;
  }
  return paragraphs.flatMap((p) => wrapAtSpaces(p, width));
}

/** Wraps at a space in the second half of the row when there is one, else cuts; continuations keep the indent. */
export function wrapAtSpaces(line: string, width: number, more = 0): string[] {
  const w = Math.max(10, width);
  const indent = Math.min(/^ */.exec(line)?.[0].length ?? 0, Math.floor(w / 2));
  const rows: string[] = [];
  let rest = line;
  while (rest.length > w) {
    const space = rest.lastIndexOf(" ", w);
    const cut = space > w / 2 ? space : w;
    rows.push(rest.slice(0, cut));
    rest = " ".repeat(indent + (indent > 0 ? more : 0)) + rest.slice(cut).replace(/^ /, "");
  }
  rows.push(rest);
  return rows;
}
