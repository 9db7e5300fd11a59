import { chmodSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ExecOptions, ExecResult, Transport } from "../../src/transport/transport.ts";

/**
 * A minimal transport for engine unit tests: real bash on this machine with HOME pointed at a temp
 * directory, so `~/` paths stay inside the test. Counts execs so tests can assert what ran.
 */
export class BashTransport implements Transport {
  execs: string[] = [];
  uploads: string[] = [];
  constructor(
    readonly host: string,
    readonly home: string,
  ) {
    mkdirSync(home, { recursive: true });
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    this.execs.push(command);
    const proc = Bun.spawn(["setsid", "bash", "-c", command], {
      env: { ...process.env, HOME: this.home, ...opts.env },
      cwd: this.home,
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
    });
    let timedOut = false;
    let cancelled = false;
    const killGroup = () => {
      try {
        process.kill(-proc.pid, "SIGKILL");
      } catch {}
    };
    const timer = opts.timeoutMs
      ? setTimeout(() => ((timedOut = true), killGroup()), opts.timeoutMs)
      : undefined;
    const onAbort = () => ((cancelled = true), killGroup());
    opts.signal?.addEventListener("abort", onAbort);
    const pump = async (stream: ReadableStream<Uint8Array>, f?: (t: string) => void) => {
      const dec = new TextDecoder();
      for await (const chunk of stream) f?.(dec.decode(chunk, { stream: true }));
    };
    await Promise.all([pump(proc.stdout, opts.onStdout), pump(proc.stderr, opts.onStderr)]);
    const code = await proc.exited;
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
    return { code: timedOut || cancelled ? null : code, timedOut, cancelled };
  }

  async upload(path: string, content: string, mode: number): Promise<void> {
    this.uploads.push(path);
    const full = path.startsWith("~/") ? join(this.home, path.slice(2)) : path;
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(`${full}.tmp`, content);
    chmodSync(`${full}.tmp`, mode);
    renameSync(`${full}.tmp`, full);
  }

  async close(): Promise<void> {}
}
