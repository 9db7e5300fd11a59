/** What a secret is replaced with, wherever it appears. */
export const MASK = "••••••";

/**
 * The shortest secret that can be masked: a shorter one would mask innocent text everywhere and still
 * show through (a one-letter secret is in every line). Such secrets are refused before a run starts.
 */
export const MIN_SECRET_LENGTH = 3;

/**
 * Replaces every known secret in text before it leaves the engine: screen, journal, JSON stream, log,
 * timeline, error messages, wait lines. A secret of several lines (a PEM key) is masked whole, and
 * each of its lines on its own too, so a command that prints one line of it shows nothing of it.
 */
export class Masker {
  private values: string[] = [];

  /** False for a secret too short to mask (see MIN_SECRET_LENGTH); nothing is added then. */
  add(secret: string): boolean {
    if (secret.length < MIN_SECRET_LENGTH) return false;
    const lines = secret
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l.length >= MIN_SECRET_LENGTH);
    for (const v of [secret, ...(lines.length > 1 ? lines : [])]) {
      if (!this.values.includes(v)) this.values.push(v);
    }
    this.values.sort((a, b) => b.length - a.length);
    return true;
  }

  get empty(): boolean {
    return this.values.length === 0;
  }

  mask(text: string): string {
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.replaceAll(v, MASK);
    return out;
  }

  /** Masks every string in a value (an event), leaving its shape as it is. */
  maskDeep<T>(value: T): T {
    if (this.values.length === 0) return value;
    return deep(value, (s) => this.mask(s)) as T;
  }

  /** A masker for one stream of output that arrives in chunks (see StreamMasker). */
  stream(): StreamMasker {
    return new StreamMasker(this);
  }

  /** The length of the longest tail of `text` that is the start of a secret (and so is held back). */
  heldTail(text: string): number {
    let hold = 0;
    for (const v of this.values) {
      const first = v[0] as string;
      const from = Math.max(0, text.length - v.length + 1);
      for (let p = text.indexOf(first, from); p >= 0; p = text.indexOf(first, p + 1)) {
        const tail = text.length - p;
        if (tail <= hold) break;
        if (v.startsWith(text.slice(p))) {
          hold = tail;
          break;
        }
      }
    }
    return hold;
  }
}

/**
 * Output arrives in chunks cut anywhere: a secret can straddle two of them, or arrive a byte at a time
 * with pauses between. The end of each chunk that could be the start of a secret is held back until
 * the next chunk says what it is, so a secret is always masked whole, never let out in pieces.
 */
export class StreamMasker {
  private held = "";

  constructor(private readonly masker: Masker) {}

  /** The text that is safe to show now. */
  push(chunk: string): string {
    if (this.masker.empty) return chunk;
    const text = this.masker.mask(this.held + chunk);
    const hold = this.masker.heldTail(text);
    this.held = text.slice(text.length - hold);
    return text.slice(0, text.length - hold);
  }

  /**
   * The stream ended: what was held back. A start of a secret that never went on is masked too, once
   * it is long enough to give something away.
   */
  end(): string {
    const rest = this.held;
    this.held = "";
    return rest.length >= MIN_SECRET_LENGTH ? MASK : rest;
  }
}

function deep(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === "string") return f(value);
  if (Array.isArray(value)) return value.map((v) => deep(v, f));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = deep(v, f);
    return out;
  }
  return value;
}
