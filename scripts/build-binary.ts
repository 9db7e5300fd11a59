#!/usr/bin/env bun
/**
 * Builds `runbook` as one executable (the Bun runtime, the sources and every dependency), which runs
 * the terminal UI on a machine without Bun or node_modules:
 *
 *   bun scripts/build-binary.ts [OUTFILE]        (default: dist/runbook)
 *
 * Three imports cannot be bundled and are never needed at run time, so they are replaced here:
 * ink's react-devtools-core (loaded only when DEV=true), and the optional native addons of ssh2
 * (cpu-features and sshcrypto.node), which ssh2 loads in a try/catch and replaces with pure-JS crypto.
 */
import { resolve } from "node:path";
import type { BunPlugin } from "bun";

const repo = resolve(import.meta.dir, "..");
const outfile = resolve(process.cwd(), process.argv[2] ?? resolve(repo, "dist", "runbook"));

const stubs: BunPlugin = {
  name: "runbook-binary-stubs",
  setup(build) {
    build.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: "devtools", namespace: "stub" }));
    build.onResolve({ filter: /^cpu-features$|\.node$/ }, () => ({ path: "native", namespace: "stub" }));
    build.onLoad({ filter: /^devtools$/, namespace: "stub" }, () => ({
      contents: "export default { initialize() {}, connectToDevTools() {} };",
      loader: "js",
    }));
    // Throwing is what a missing addon does: ssh2's try/catch then takes its pure-JS path.
    build.onLoad({ filter: /^native$/, namespace: "stub" }, () => ({
      contents: 'throw new Error("native addons are not bundled in the runbook binary");',
      loader: "js",
    }));
  },
};

const result = await Bun.build({
  entrypoints: [resolve(repo, "src", "cli", "main.ts")],
  compile: { outfile },
  // Parsed ahead of time: the binary starts about twice as fast (bench: --help, plan).
  bytecode: true,
  format: "esm",
  minify: true,
  sourcemap: "none",
  plugins: [stubs],
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
console.log(outfile);
