import type { PlanHost } from "../model/plan.ts";
import type { Transport } from "../transport/transport.ts";

/** What a `ts` action sees: its machine, its variables, and a way to run commands there. */
export interface TsContext {
  vars: Readonly<Record<string, string>>;
  host: Readonly<PlanHost>;
  $(command: string): Promise<{ stdout: string; stderr: string; code: number | null }>;
  log(text: string): void;
  capture(name: string, value: string): void;
  /** Ends the action: the step does not apply to this machine (see not_applicable in shell). */
  notApplicable(reason: string): never;
}

/** Thrown by ctx.notApplicable: not a failure, the step does not apply here. */
export class NotApplicable extends Error {
  override readonly name = "NotApplicable";
}

export interface TsActionEnv {
  vars: Record<string, string>;
  host: PlanHost;
  transport: Transport;
  signal: AbortSignal;
  output(stream: "stdout" | "stderr", text: string): void;
  capture(name: string, value: string): void;
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  arg: string,
  body: string,
) => (ctx: TsContext) => Promise<unknown>;

/**
 * Runs the body of a ts block as an async function of `ctx`. Bun strips the types itself, so the block
 * is transpiled first; it runs in the runner, never on the target.
 */
export async function runTsAction(code: string, env: TsActionEnv): Promise<void> {
  const js = new Bun.Transpiler({ loader: "ts" }).transformSync(
    `export default async (ctx) => {\n${code}\n}`,
  );
  const body = js.replace(/^export default\s*/m, "return ").replace(/export\s*\{[^}]*\};?\s*$/m, "");
  const fn = new AsyncFunction("ctx", `${body}`);
  const ctx: TsContext = {
    vars: env.vars,
    host: env.host,
    $: async (command) => {
      let stdout = "";
      let stderr = "";
      const r = await env.transport.exec(command, {
        signal: env.signal,
        onStdout: (t) => {
          stdout += t;
          env.output("stdout", t);
        },
        onStderr: (t) => {
          stderr += t;
          env.output("stderr", t);
        },
      });
      return { stdout, stderr, code: r.code };
    },
    log: (text) => env.output("stdout", text.endsWith("\n") ? text : `${text}\n`),
    capture: env.capture,
    notApplicable: (reason) => {
      throw new NotApplicable(reason);
    },
  };
  const inner = (await fn(ctx)) as ((c: TsContext) => Promise<void>) | undefined;
  if (typeof inner === "function") await inner(ctx);
}
