import { spawnSync } from "node:child_process";
import { userInfo } from "node:os";

let cached: string | undefined;

/**
 * The login name of whoever runs runbook. Bun's os.userInfo() answers "unknown" where node reads the
 * passwd entry, so ask the environment, then `id -un`, before falling back to it.
 */
export function currentUser(): string {
  if (cached) return cached;
  const fromEnv = process.env.USER || process.env.LOGNAME;
  if (fromEnv) {
    cached = fromEnv;
    return cached;
  }
  const id = spawnSync("id", ["-un"], { encoding: "utf8" });
  const name = id.status === 0 ? id.stdout.trim() : "";
  cached = name || userInfo().username;
  return cached;
}
