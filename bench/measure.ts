/**
 * What every benchmark section shares: the rounds, running a command with its time (and peak memory
 * through GNU time), medians of samples with min and max, and the figures for RUNBOOK_BENCH_JSON.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const REPO = join(import.meta.dir, "..");
export const CLI = [process.execPath, join(REPO, "src", "cli", "main.ts")];
export const ROUNDS = Math.max(1, Number(process.env.RUNBOOK_BENCH_ROUNDS ?? 3));
/** Every figure by name, for RUNBOOK_BENCH_JSON (the chart). Times in ms, memory in MB. */
export const figures: Record<string, Stat> = {};

export interface Measured {
  ms: number;
  /** Peak resident memory of the process, MB (NaN unless asked for with `rss`). */
  maxRssMb: number;
}

export interface MeasureOptions {
  env?: Record<string, string>;
  /** Exit codes that count as done (default 0). */
  ok?: number[];
  cwd?: string;
  /**
   * Measure the peak memory, through GNU time (`/usr/bin/time -f %M`). Not the spawned process's own
   * rusage: Linux counts the parent's resident memory at the spawn in the child's maxrss (the mm it
   * replaces at exec), so every figure would be at least the bench's own size (about 66 MB after the
   * fan-out): `ssh` appeared to peak at 48-66 MB. GNU time forks from a 2 MB process.
   */
  rss?: boolean;
}

const GNU_TIME = "/usr/bin/time";
let rssFiles = 0;

export async function measure(cmd: string[], opts: MeasureOptions = {}): Promise<Measured> {
  const rssFile = join(tmpdir(), `runbook-bench-rss-${process.pid}-${rssFiles++}`);
  const argv = opts.rss ? [GNU_TIME, "-f", "%M", "-o", rssFile, ...cmd] : cmd;
  const started = performance.now();
  const proc = Bun.spawn(argv, {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, ...opts.env },
    stdout: "ignore",
    stderr: "pipe",
  });
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  const ms = performance.now() - started;
  if (!(opts.ok ?? [0]).includes(code)) throw new Error(`${cmd.join(" ")} exited ${code}:\n${stderr}`);
  let maxRssMb = Number.NaN;
  if (opts.rss) {
    // The last line is the KB figure (a "Command exited with non-zero status" line may come first).
    const kb = Number(readFileSync(rssFile, "utf8").trim().split("\n").at(-1));
    rmSync(rssFile, { force: true });
    maxRssMb = kb / 1024;
  }
  return { ms, maxRssMb };
}

/** GNU time for the memory figures, installed from Debian when missing. */
export function ensureGnuTime(): void {
  if (existsSync(GNU_TIME)) return;
  console.error("bench: /usr/bin/time missing: apt-get install -y time");
  spawnSync("apt-get", ["install", "-y", "time"], {
    stdio: ["ignore", "ignore", "inherit"],
    timeout: 300_000,
  });
  if (!existsSync(GNU_TIME))
    throw new Error("bench: GNU time (/usr/bin/time) is needed for the memory figures");
}

// ---------------------------------------------------------------------------------------------
// medians

export interface Stat {
  med: number;
  min: number;
  max: number;
}

export function stat(xs: number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  return { med: s[Math.floor(s.length / 2)] ?? 0, min: s[0] ?? 0, max: s.at(-1) ?? 0 };
}

/** Samples by figure name, in the order of the rounds. */
export class Samples {
  private readonly by = new Map<string, number[]>();
  add(name: string, x: number): void {
    const xs = this.by.get(name) ?? [];
    xs.push(x);
    this.by.set(name, xs);
  }
  /** The figure's median, min and max; recorded under `key` for the JSON. */
  stat(name: string, key = name): Stat {
    const s = stat(this.by.get(name) ?? []);
    figures[key] = s;
    return s;
  }
  has(name: string): boolean {
    return (this.by.get(name)?.length ?? 0) > 0;
  }
}

export const fmt = (n: number, digits = 1) => n.toFixed(digits);
/** `12.3 (11.0-15.2)` */
export const show = (s: Stat, digits = 1, scale = 1) =>
  `${fmt(s.med / scale, digits)} (${fmt(s.min / scale, digits)}-${fmt(s.max / scale, digits)})`;
export const secs = (s: Stat, digits = 2) => `${show(s, digits, 1000)} s`;
export const pad = (label: string, n = 46) => label.padEnd(n);
/** Median of the ratios of paired samples would hide nothing more here: the ratio of the medians. */
export const ratio = (a: Stat, b: Stat) => (b.med === 0 ? 0 : a.med / b.med);

export function record(key: string, value: number): void {
  figures[key] = { med: value, min: value, max: value };
}
