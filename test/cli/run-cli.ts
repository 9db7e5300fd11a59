import { join } from "node:path";

export const REPO = join(import.meta.dir, "..", "..");
const MAIN = join(REPO, "src", "cli", "main.ts");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI in a child process, as a user would, with no terminal attached. */
export function runCli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): CliResult {
  const proc = Bun.spawnSync(["bun", MAIN, ...args], {
    // A CLI that hangs fails its test rather than the whole suite.
    timeout: opts.timeoutMs ?? 120_000,
    killSignal: "SIGKILL",
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, NO_COLOR: "", ...opts.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: proc.exitCode ?? -1, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() };
}
