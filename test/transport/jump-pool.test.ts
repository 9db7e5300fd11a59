import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import type { Host, JumpHop } from "../../src/model/inventory.ts";
import { JumpPool, SshTransport } from "../../src/transport/ssh/ssh-transport.ts";
import { type SshdHarness, startSshdHarness } from "../helpers/sshd-harness.ts";

/**
 * The bastion logins of a run, against real OpenSSH: one login shared by every machine behind the
 * bastion, ended by close(), and made again when the bastion's connection went away.
 */
let h: SshdHarness;
const opened: SshTransport[] = [];
let pool: JumpPool;

beforeAll(async () => {
  h = await startSshdHarness({
    names: ["bastion", "t1", "t2"],
    userPrefix: "rbjump",
    firstAddress: 120,
    lockWaitMs: 30_000,
    sshdConfig: { bastion: ["AllowTcpForwarding yes", "LogLevel DEBUG1"] },
  });
}, 60_000);

afterAll(async () => {
  await Promise.all(opened.map((t) => t.close().catch(() => {})));
  await pool?.close();
  await h?.stop();
});

const host = (name: string): Host => {
  const found = h.hosts().find((x) => x.name === name);
  if (!found) throw new Error(`no machine ${name}`);
  return found;
};
const bastion = (): JumpHop => {
  const { name, address, port, user, identity, agent, knownHosts, pos } = host("bastion");
  return { name, address, port, user, identity, agent, knownHosts, pos };
};
const behind = (name: string, jumps: JumpPool) => {
  const t = new SshTransport({ ...host(name), jump: [bastion()] }, { jumps, killGraceMs: 500 });
  opened.push(t);
  return t;
};
const bastionLog = () => readFileSync(h.machine("bastion").logFile, "utf8");
const logins = () => (bastionLog().match(/Accepted publickey/g) ?? []).length;

async function out(t: SshTransport, script: string): Promise<string> {
  let text = "";
  const r = await t.exec(script, {
    onStdout: (c) => {
      text += c;
    },
  });
  expect(r.code).toBe(0);
  return text.trim();
}

/** The bastion's sshd processes serving its connections: the descendants of the daemon we started. */
function connectionsOfBastion(): number[] {
  const parents = new Map<number, number>();
  for (const d of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      parents.set(Number(d), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const daemon = h.machine("bastion").pid;
  const under = (pid: number): boolean => {
    const p = parents.get(pid);
    return p === daemon || (p !== undefined && p > 1 && under(p));
  };
  return [...parents.keys()].filter(under);
}

describe("JumpPool", () => {
  test("two machines behind one bastion share its one login; close() ends it", async () => {
    pool = new JumpPool();
    const before = logins();
    const [a, b] = await Promise.all([out(behind("t1", pool), "id -un"), out(behind("t2", pool), "id -un")]);
    expect([a, b]).toEqual([h.machine("t1").user, h.machine("t2").user]);
    expect(await out(behind("t1", pool), "echo again")).toBe("again");
    expect(pool.loginCount).toBe(1);
    expect(logins() - before).toBe(1);
    await Promise.all(opened.splice(0).map((t) => t.close()));
    await pool.close();
    const deadline = performance.now() + 3000;
    while (!/Disconnected from user rbjump1/.test(bastionLog()) && performance.now() < deadline)
      await Bun.sleep(50);
    expect(bastionLog()).toMatch(/Disconnected from user rbjump1/);
  }, 30_000);

  test("a bastion connection that went away is logged into again by the next command behind it", async () => {
    pool = new JumpPool();
    const t = behind("t1", pool);
    expect(await out(t, "echo first")).toBe("first");
    expect(pool.loginCount).toBe(1);
    // End the bastion's side of the login: its per-connection sshd process, by PID.
    const served = connectionsOfBastion();
    expect(served.length).toBeGreaterThan(0);
    for (const pid of served) process.kill(pid, "SIGKILL");
    await Bun.sleep(500);
    expect(await out(t, "echo second")).toBe("second");
    expect(pool.loginCount).toBe(2);
    await Promise.all(opened.splice(0).map((x) => x.close()));
    await pool.close();
  }, 30_000);

  test("a transport given no pool makes its own, and ends the bastion's login when it closes", async () => {
    const t = new SshTransport({ ...host("t2"), jump: [bastion()] }, { killGraceMs: 500 });
    opened.push(t);
    expect(await out(t, "id -un")).toBe(h.machine("t2").user);
    const ended = (bastionLog().match(/Disconnected from user rbjump1/g) ?? []).length;
    await t.close();
    const deadline = performance.now() + 3000;
    const now = () => (bastionLog().match(/Disconnected from user rbjump1/g) ?? []).length;
    while (now() === ended && performance.now() < deadline) await Bun.sleep(50);
    expect(now()).toBe(ended + 1);
  }, 30_000);
});
