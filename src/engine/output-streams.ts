import type { Masker, StreamMasker } from "./masker.ts";

/** The last few lines of a machine's output for a step, stderr kept apart: what a failure said. */
export class Tails {
  private readonly kept = { stdout: [] as string[], stderr: [] as string[] };

  add(stream: "stdout" | "stderr", text: string): void {
    const lines = text.replace(/\n$/, "").split("\n");
    const kept = this.kept[stream];
    kept.push(...lines.slice(-TAIL_LINES));
    if (kept.length > TAIL_LINES) kept.splice(0, kept.length - TAIL_LINES);
  }

  /** stderr's last lines, or stdout's when the command said nothing on stderr. */
  lines(): string[] {
    return this.kept.stderr.length > 0 ? [...this.kept.stderr] : [...this.kept.stdout];
  }
}

const TAIL_LINES = 5;

/**
 * A machine's two output streams: each masked as it arrives (a secret split across chunks is held
 * back until it is whole), then grouped into whole lines.
 */
export class LineStreams {
  private readonly partial = { stdout: "", stderr: "" };
  private readonly masks: Record<"stdout" | "stderr", StreamMasker>;

  constructor(
    masker: Masker,
    private readonly sink: (stream: "stdout" | "stderr", text: string) => void,
  ) {
    this.masks = { stdout: masker.stream(), stderr: masker.stream() };
  }

  write(stream: "stdout" | "stderr", raw: string): void {
    const text = this.masks[stream].push(raw);
    const all = this.partial[stream] + text;
    const cut = all.lastIndexOf("\n");
    if (cut < 0) {
      this.partial[stream] = all;
      // A progress bar without newlines must still show up; cap what is held back.
      if (all.length > 8192) this.flushStream(stream);
      return;
    }
    this.partial[stream] = all.slice(cut + 1);
    this.sink(stream, all.slice(0, cut + 1));
  }

  /** The command ended: what is held back goes out. */
  flush(): void {
    for (const stream of ["stdout", "stderr"] as const) {
      this.partial[stream] += this.masks[stream].end();
      this.flushStream(stream);
    }
  }

  private flushStream(stream: "stdout" | "stderr"): void {
    if (this.partial[stream] !== "") this.sink(stream, this.partial[stream]);
    this.partial[stream] = "";
  }
}
