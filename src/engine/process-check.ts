import { processIdOf } from "../transport/script-on-stdin.ts";
import type { Transport } from "../transport/transport.ts";
import type { HostState } from "./state.ts";

/** What the runner found about a machine whose command's fate is unknown. */
export type ProcessCheck =
  /** Still running there: it is never started a second time alongside. */
  | { kind: "running"; pid: number }
  /** It is not running any more (whether it succeeded is not known). */
  | { kind: "gone"; pid: number }
  /** A command was sent but no process was reported: it may never have started. */
  | { kind: "not-recorded" }
  /** The machine cannot be reached to look. */
  | { kind: "unreachable"; error: string };

/** A machine's step may be run again only once its command is known not to be running. */
export function mayRunAgain(check: ProcessCheck): boolean {
  return check.kind === "gone" || check.kind === "not-recorded";
}

/** One line an operator reads about a check. */
export function describeCheck(c: ProcessCheck): string {
  switch (c.kind) {
    case "running":
      return `still running there (process group ${c.pid})`;
    case "gone":
      return `not running any more (it was process group ${c.pid}); whether it succeeded is not known`;
    case "not-recorded":
      return "no process was reported: it may never have started";
    case "unreachable":
      return `the machine cannot be reached to check: ${c.error}`;
  }
}

/** A few words, for a status line. */
export function shortCheck(c: ProcessCheck): string {
  switch (c.kind) {
    case "running":
      return "still running there";
    case "gone":
      return "not running any more";
    case "not-recorded":
      return "may never have started";
    case "unreachable":
      return "cannot be looked at";
  }
}

/**
 * Looks on the machine for the command's process group. The group counts as the same command only
 * while its leader has the start time and boot id recorded when it started (a PID can be reused).
 */
export async function checkProcess(
  connect: () => Promise<Transport>,
  host: HostState,
): Promise<ProcessCheck> {
  const proc = host.process;
  if (!proc) return { kind: "not-recorded" };
  const { pid, id } = proc;
  if (!Number.isInteger(pid) || pid <= 1) return { kind: "not-recorded" };
  // The group still has members, and its leader (if alive) is the process recorded, not a newer one.
  const script = `p=${pid}
want='${id.replace(/[^0-9A-Za-z@-]/g, "")}'
if command -v ps >/dev/null 2>&1; then
  members=$(ps -e -o pgid= -o stat= 2>/dev/null | awk -v p="$p" '$1 == p && $2 !~ /^Z/' | wc -l)
elif kill -0 -- -$p 2>/dev/null; then members=1; else members=0; fi
if [ "$members" -eq 0 ]; then echo gone; exit 0; fi
if [ -n "$want" ] && [ -r /proc/$p/stat ]; then
${processIdOf("$p", "have")}
  if [ "$have" != "$want" ] && [ "$members" -le 1 ]; then echo gone; exit 0; fi
fi
echo running`;
  let out = "";
  try {
    const t = await connect();
    const r = await t.exec(script, {
      timeoutMs: 15_000,
      onStdout: (x) => {
        out += x;
      },
    });
    if (r.code !== 0) return { kind: "unreachable", error: `the check exited ${r.code}` };
  } catch (e) {
    return { kind: "unreachable", error: (e as Error).message };
  }
  return out.trim() === "gone" ? { kind: "gone", pid } : { kind: "running", pid };
}
