/** Replaces every known secret value in text before it leaves the engine (screen, journal, JSON). */
export class Masker {
  private values: string[] = [];

  add(value: string): void {
    // Very short values would mask innocent text everywhere and still leak nothing useful.
    if (value.length < 3 || this.values.includes(value)) return;
    this.values.push(value);
    this.values.sort((a, b) => b.length - a.length);
  }

  mask(text: string): string {
    let out = text;
    for (const v of this.values) out = out.replaceAll(v, "••••••");
    return out;
  }
}
