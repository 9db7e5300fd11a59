import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where the shipped runbooks live: RUNBOOK_HOME when set; beside the sources when run from them; for
 * the compiled binary (whose sources are inside it), the directory beside the executable that has
 * `runbooks/` (`dist/runbook` in a checkout: the checkout), else the executable's own directory.
 */
export function runbookHome(
  env: Record<string, string | undefined>,
  binary: { execPath: string; here?: string } = { execPath: process.execPath },
): string {
  if (env.RUNBOOK_HOME) return resolve(env.RUNBOOK_HOME);
  const here = binary.here ?? dirname(fileURLToPath(import.meta.url));
  if (!here.startsWith("/$bunfs") && !here.startsWith("B:\\~BUN")) return resolve(here, "..", "..");
  const exe = dirname(binary.execPath);
  for (const dir of [exe, resolve(exe, "..")]) if (existsSync(join(dir, "runbooks"))) return dir;
  return exe;
}
