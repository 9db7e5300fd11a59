import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SshdMachine } from "./sshd-harness.ts";

const MAIN = join(import.meta.dir, "..", "..", "src", "cli", "main.ts");

export interface WatchedRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The runner's PID. */
  pid: number;
  /**
   * For each watched machine, every process seen holding a TCP connection into its sshd while the run
   * ran, each as its chain of ancestors (the holder first, then its parent, ... up to init).
   */
  holders: Record<string, number[][]>;
}

/**
 * Runs the CLI (as run-cli.ts does, but in the background) and meanwhile looks, as root, with `ss`,
 * which processes hold the TCP connections into the machines' sshds: on loopback nothing stops the
 * runner from connecting directly, so this is how a test sees that a bastion made the connection.
 */
export async function watchedRun(
  args: string[],
  env: Record<string, string>,
  watched: SshdMachine[],
): Promise<WatchedRun> {
  const proc = Bun.spawn(["bun", MAIN, ...args], {
    cwd: join(import.meta.dir, "..", ".."),
    env: { ...process.env, NO_COLOR: "", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const holders: Record<string, number[][]> = Object.fromEntries(watched.map((m) => [m.name, []]));
  const seen = new Set<string>();
  const timer = setTimeout(() => proc.kill("SIGKILL"), 120_000);
  const stdout = new Response(proc.stdout).text();
  const stderr = new Response(proc.stderr).text();
  while (proc.exitCode === null) {
    for (const m of watched) {
      for (const pid of holdersOf(m)) {
        if (seen.has(`${m.name}:${pid}`)) continue;
        seen.add(`${m.name}:${pid}`);
        holders[m.name]?.push(ancestry(pid));
      }
    }
    await Bun.sleep(50);
  }
  clearTimeout(timer);
  return { code: await proc.exited, stdout: await stdout, stderr: await stderr, pid: proc.pid, holders };
}

/** PIDs of the processes whose TCP socket is connected to the machine's sshd (the client side). */
function holdersOf(m: SshdMachine): number[] {
  const r = spawnSync("ss", ["-tnpH", "state", "established", "dst", `${m.address}:${m.port}`], {
    encoding: "utf8",
  });
  return [...(r.stdout ?? "").matchAll(/pid=(\d+)/g)].map((x) => Number(x[1]));
}

function ancestry(pid: number): number[] {
  const chain = [pid];
  for (let p = pid; p > 1; ) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      p = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      chain.push(p);
    } catch {
      break;
    }
  }
  return chain;
}
