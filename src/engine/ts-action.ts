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
  /** The action fails after this long, and what it still runs on the machine is stopped. */
  timeoutMs?: number;
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
  // Its own signal: a timeout stops the commands it started, as a stop of the run does.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  env.signal.addEventListener("abort", onAbort, { once: true });
  const ctx = context({ ...env, signal: stop.signal });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut =
    env.timeoutMs === undefined
      ? new Promise<never>(() => {})
      : new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            stop.abort();
            reject(new Error(`timed out after ${(env.timeoutMs as number) / 1000}s`));
          }, env.timeoutMs);
        });
  try {
    await Promise.race([
      (async () => {
        const inner = (await fn(ctx)) as ((c: TsContext) => Promise<void>) | undefined;
        if (typeof inner === "function") await inner(ctx);
      })(),
      timedOut,
    ]);
  } finally {
    if (timer) clearTimeout(timer);
    env.signal.removeEventListener("abort", onAbort);
  }
}

function context(env: TsActionEnv): TsContext {
  return {
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
}
