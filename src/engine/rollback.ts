import type { PlannedStep } from "../model/plan.ts";
import type { Become } from "../transport/transport.ts";
import { mapLimit } from "../util/map-limit.ts";
import { exitText } from "./execute-action.ts";
import { outputOf } from "./host-step.ts";
import { forksOf, lateValues, type RunContext } from "./run-context.ts";
import { scriptOf } from "./script-of.ts";

/** Runs a step's rollback on some of its machines (those that have one), at most --forks at once. */
export async function rollbackStep(ctx: RunContext, step: PlannedStep, hosts: string[]): Promise<void> {
  await mapLimit(
    step.targets.filter((t) => hosts.includes(t.host) && t.rollback.length > 0),
    forksOf(ctx.opts),
    async (t) => {
      const streams = outputOf(ctx, step.id, t.host);
      try {
        const transport = await ctx.session.connect(t.host);
        for (const r of t.rollback) {
          const res = await transport.exec(scriptOf(r.run, lateValues(ctx, t.host)), {
            timeoutMs: r.timeoutMs,
            ...become(ctx, r.as),
            onStdout: (x) => streams.write("stdout", x),
            onStderr: (x) => streams.write("stderr", x),
          });
          streams.flush();
          if (res.code !== 0)
            throw new Error(
              res.timedOut ? `rollback timed out after ${r.timeoutMs / 1000}s` : `rollback: ${exitText(res)}`,
            );
        }
        ctx.emit({ type: "rollback-finished", at: ctx.now(), stepId: step.id, host: t.host, ok: true });
      } catch (e) {
        ctx.emit({
          type: "rollback-finished",
          at: ctx.now(),
          stepId: step.id,
          host: t.host,
          ok: false,
          error: ctx.masker.mask((e as Error).message),
        });
      }
    },
  );
}

/** The machines where a step did something (not where it did not apply), for its rollback. */
export function actedOn(ctx: RunContext, step: PlannedStep): string[] {
  return step.targets
    .map((t) => t.host)
    .filter((h) => ctx.state().steps[step.id]?.hosts[h]?.status !== "not-applicable");
}

function become(ctx: RunContext, user: string | undefined): { become?: Become } {
  const b = ctx.session.become(user);
  return b ? { become: b } : {};
}
