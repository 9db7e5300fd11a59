#!/usr/bin/env bun
import { runCli } from "./program.ts";

// The only place that touches the real process: everything below gets an injected Io.
const code = await runCli(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  cwd: process.cwd(),
  env: process.env,
});
process.exitCode = code;
