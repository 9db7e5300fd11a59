/** The message of whatever was thrown, for an error message of our own. */
export function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
