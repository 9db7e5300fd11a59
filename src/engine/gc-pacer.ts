/**
 * Bun's collector lets the short-lived copies of large output chunks (masking, line grouping, the
 * journal's JSON, the screen's lines) pile up: a step printing 100 MB peaked near 300 MB although
 * almost nothing stays alive. A full collection after every few MB of output keeps a flood's peak near
 * an idle run's footprint at no measurable cost (see bench/run-bench.ts).
 */
export class GcPacer {
  private since = 0;

  constructor(
    private readonly everyBytes = 8_000_000,
    private readonly collect: () => void = () => Bun.gc(true),
  ) {}

  /** Counts output that passed through; collects once enough has. */
  add(bytes: number): void {
    this.since += bytes;
    if (this.since < this.everyBytes) return;
    this.since = 0;
    this.collect();
  }
}
