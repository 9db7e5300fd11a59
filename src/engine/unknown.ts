import type { PlannedStep } from "../model/plan.ts";
import { checkProcess, describeCheck } from "./process-check.ts";
import type { RunContext } from "./run-context.ts";

/**
 * Machines where the step may or may not have run: each is looked at (is its command still
 * running?) and decided about on its own. A command still running, or a machine that cannot be
 * looked at, is never run again: the run stops there, resumable. Nothing runs until every machine of
 * the step is decided about.
 */
export async function resolveUnknown(
  ctx: RunContext,
  step: PlannedStep,
  hosts: string[],
): Promise<"go" | "abort"> {
  for (const host of hosts) {
    const h = ctx.state().steps[step.id]?.hosts[host] ?? { status: "unknown" as const, exitCode: null };
    const check = await checkProcess(() => ctx.session.connect(host), h);
    ctx.emit({
      type: "host-status",
      at: ctx.now(),
      stepId: step.id,
      host,
      status: "unknown",
      detail: describeCheck(check),
    });
    // A command still running there is never run again: the Asker journals that as the runner's.
    if ((await ctx.asker.resolveUnknown(step, host, check)) === "abort") return "abort";
  }
  return "go";
}
