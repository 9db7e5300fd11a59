#!/usr/bin/env bun
import { runCli } from "./program.ts";

// The only place that touches the real process: everything below gets an injected Io.

// A reader that went away (`runbook plan … | head`) is not an error: stop quietly, as other tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
}
/** Installed only when a run asks (see Io.interrupts): other commands die of a signal at once. */
let interrupt: AbortController | undefined;
function interrupts(): AbortSignal {
  if (interrupt) return interrupt.signal;
  const controller = new AbortController();
  interrupt = controller;
  let count = 0;
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      count++;
      if (count === 1) {
        process.stderr.write(`\nrunbook: ${sig}: stopping the running commands (again to quit at once)\n`);
        controller.abort();
        // A hung-up terminal cannot answer anything: give the run a moment to stop its commands, then go.
        if (sig === "SIGHUP") setTimeout(() => process.exit(129), 5000).unref();
      } else {
        process.exit(130);
      }
    });
  }
  return controller.signal;
}
const code = await runCli(process.argv.slice(2), {
  interrupts,
  terminal:
    process.stdin.isTTY && process.stdout.isTTY
      ? { stdin: process.stdin, stdout: process.stdout }
      : undefined,
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  cwd: process.cwd(),
  env: process.env,
});
process.exitCode = code;
