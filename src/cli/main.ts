#!/usr/bin/env bun
import { runCli } from "./program.ts";

// The only place that touches the real process: everything below gets an injected Io.
const interrupt = new AbortController();
let interrupts = 0;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(`\nrunbook: ${sig}: stopping the running commands (again to quit at once)\n`);
      interrupt.abort();
    } else {
      process.exit(130);
    }
  });
}
const code = await runCli(process.argv.slice(2), {
  signal: interrupt.signal,
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  cwd: process.cwd(),
  env: process.env,
});
process.exitCode = code;
