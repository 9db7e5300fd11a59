#!/usr/bin/env bun
/**
 * The floor of the per-step figure: the `ssh2` package used directly, one connection per machine, then
 * STEPS execs of `true` one after another on each machine, the machines in parallel. Connecting is
 * not timed; prints the milliseconds per step (the slowest machine's loop divided by STEPS).
 *
 *   bun bench/ssh2-loop.ts SPEC.json      SPEC: { key, steps, machines: [{ address, port, user, hostKey }] }
 *
 * hostKey is the machine's `ssh-ed25519 AAAA...` line: the server's key must be that one.
 */
import { readFileSync } from "node:fs";
import { Client } from "ssh2";

interface Spec {
  key: string;
  steps: number;
  machines: { address: string; port: number; user: string; hostKey: string }[];
}

const spec = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as Spec;
const privateKey = readFileSync(spec.key);

function connect(m: Spec["machines"][number]): Promise<Client> {
  const expected = Buffer.from(m.hostKey.split(/\s+/)[1] ?? "", "base64");
  return new Promise((resolve, reject) => {
    const c = new Client();
    c.on("ready", () => resolve(c));
    c.on("error", reject);
    c.connect({
      host: m.address,
      port: m.port,
      username: m.user,
      privateKey,
      hostVerifier: (key: Buffer) => key.equals(expected),
    });
  });
}

function exec(c: Client, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    c.exec(command, (err, stream) => {
      if (err) return reject(err);
      stream.on("close", (code: number) =>
        code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`)),
      );
      stream.resume();
      stream.stderr.resume();
    });
  });
}

const clients = await Promise.all(spec.machines.map(connect));
const started = performance.now();
await Promise.all(
  clients.map(async (c) => {
    for (let i = 0; i < spec.steps; i++) await exec(c, "true");
  }),
);
const ms = (performance.now() - started) / spec.steps;
for (const c of clients) c.end();
console.log(JSON.stringify({ msPerStep: ms }));
