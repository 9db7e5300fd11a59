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
const interrupt = new AbortController();
let interrupts = 0;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(`\nrunbook: ${sig}: stopping the running commands (again to quit at once)\n`);
      interrupt.abort();
      // A hung-up terminal cannot answer anything: give the run a moment to stop its commands, then go.
      if (sig === "SIGHUP") setTimeout(() => process.exit(129), 5000).unref();
    } else {
      process.exit(130);
    }
  });
}
const code = await runCli(process.argv.slice(2), {
  signal: interrupt.signal,
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
