/** Characters that never need quoting in any position of a POSIX shell word. */
const SAFE = /^[A-Za-z0-9_\-.,:/@%+]+$/;

/**
 * One shell word that the shell reads back as exactly `value`. Single quotes are the only POSIX quoting
 * with no special characters inside, so this is complete by construction; safe words stay bare so a
 * reviewed plan reads naturally. A leading `~/` stays unquoted so it still means the home directory.
 */
export function shellQuote(value: string): string {
  if (value.startsWith("~/")) return `~/${value.length > 2 ? shellQuote(value.slice(2)) : ""}`;
  if (value === "~") return "~";
  if (SAFE.test(value)) return value;
  return shellLiteral(value);
}

/** `value` single-quoted whatever it holds: data (a file's content, a password), never a path with `~`. */
export function shellLiteral(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
