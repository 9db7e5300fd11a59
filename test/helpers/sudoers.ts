import { chmodSync, rmSync, writeFileSync } from "node:fs";

/**
 * sudo rules for a test (`login ALL=(target) NOPASSWD: ALL`, say), in a file of their own under
 * /etc/sudoers.d, checked with visudo before use. Returns what removes them; tests call it in afterAll.
 */
export function sudoRules(name: string, rules: string[]): () => void {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`sudoers file name ${name}: letters, digits and - only`);
  const file = `/etc/sudoers.d/runbook-test-${name}`;
  writeFileSync(file, `${rules.join("\n")}\n`);
  chmodSync(file, 0o440);
  const check = Bun.spawnSync(["visudo", "-c", "-f", file]);
  if (check.exitCode !== 0) {
    rmSync(file, { force: true });
    throw new Error(`bad sudo rules for ${name}: ${check.stdout.toString()}${check.stderr.toString()}`);
  }
  return () => rmSync(file, { force: true });
}

/** Sets a user's password (the harness's users have none), for sudo rules that ask for it. */
export function setPassword(user: string, password: string): void {
  const r = Bun.spawnSync(["chpasswd"], { stdin: new TextEncoder().encode(`${user}:${password}\n`) });
  if (r.exitCode !== 0) throw new Error(`chpasswd ${user}: ${r.stderr.toString()}`);
}
