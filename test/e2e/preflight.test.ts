import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import type { SshdHarness } from "../helpers/sshd-harness.ts";
import {
  e2eMachines,
  eventually,
  jvmsOf,
  killJvms,
  runbook,
  TOOLS_HOME,
  tail,
  writeInventory,
} from "./cluster.ts";

/**
 * The deployments' preflight, provoked for real on sshd machines: a broker's port taken by a listener
 * of this test, a heap larger than the machine's memory, and a store directory held by a real broker
 * (the e2e cache's RocketMQ, run as the machine's user). One run of the multi-master runbook must list
 * all three, each with its machine and its fix, and stop before it changes anything.
 */
const MINUTE = 60_000;
const PORTS = { a: 21311, b: 21321 };

const machines = e2eMachines("preflight", {
  names: ["ns1", "a", "b"],
  userPrefix: "rbpre",
  firstAddress: 244,
});
let harness: SshdHarness;
let dir: string;
let logDir: string;
let env: Record<string, string>;
beforeAll(() => {
  ({ harness, dir, logDir, env } = machines);
});

/** Whether some process holds a POSIX lock on the file (as a broker holds its store's `lock`). */
function locked(file: string): boolean {
  if (!existsSync(file)) return false;
  const inode = String(statSync(file).ino);
  return readFileSync("/proc/locks", "utf8")
    .split("\n")
    .some((l) => l.trim().split(/\s+/)[5]?.split(":").at(-1) === inode);
}

/** A real broker of the e2e cache's installation, run as machine `a`'s user on the store the deployment would use. */
async function holdStore(store: string): Promise<void> {
  const m = harness.machine("a");
  // In the user's home: the test's own directory is not readable by the machine's user.
  const conf = join(m.home, "blocker.properties");
  writeFileSync(
    conf,
    [
      "brokerClusterName=Blocker",
      "brokerName=blocker",
      "brokerId=0",
      `brokerIP1=${m.address}`,
      `bindAddress=${m.address}`,
      "listenPort=21391",
      `storePathRootDir=${store}`,
      `storePathCommitLog=${store}/commitlog`,
      "",
    ].join("\n"),
  );
  const home = join(m.home, "blocker-home");
  mkdirSync(home, { recursive: true });
  Bun.spawnSync(["chown", "-R", `${m.uid}:`, home, conf]);
  Bun.spawn(
    [
      "runuser",
      "-u",
      m.user,
      "--",
      "env",
      `ROCKETMQ_HOME=${TOOLS_HOME}`,
      `JAVA_OPT_EXT=-Duser.home=${home} -Xms128m -Xmx128m -Xmn64m`,
      "sh",
      join(TOOLS_HOME, "bin", "mqbroker"),
      "-c",
      conf,
    ],
    { stdout: Bun.file(join(dir, "blocker.out")), stderr: Bun.file(join(dir, "blocker.err")) },
  );
  await eventually(() => locked(join(store, "lock")), 2 * MINUTE, "the blocking broker to lock its store");
}

describe("preflight of the deployments", () => {
  test(
    "a port taken, a heap larger than memory and a store in use: one run lists all three with machine and fix, and stops before it changes anything",
    async () => {
      let listener: Server | undefined;
      try {
        const m = (n: string) => harness.machine(n);
        const inv = writeInventory(join(dir, "multi.yaml"), harness, [
          { name: "ns1", machine: m("ns1"), roles: ["nameserver"] },
          { name: "a", machine: m("a"), roles: ["broker-a"], vars: { broker_port: PORTS.a } },
          { name: "b", machine: m("b"), roles: ["broker-b"], vars: { broker_port: PORTS.b } },
        ]);
        chownAll(m("a").home);
        // (1) machine b's listenPort taken.
        listener = createServer();
        await new Promise<void>((resolve) => listener?.listen(PORTS.b, m("b").address, resolve));
        // (3) machine a's store held by a real broker.
        const store = join(m("a").home, "rocketmq-node", "store");
        await holdStore(store);
        const blocker = jvmsOf([m("a").user]).map((j) => j.pid);
        expect(blocker).toHaveLength(1);
        // (2) a heap of more than the machine's available memory.
        const availMb =
          Number(/MemAvailable:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"))?.[1]) / 1024;
        const heap = `${Math.ceil(availMb / 1024) + 4}g`;

        const r = await runbook(
          ["run", "runbooks/rocketmq/multi-master.md", "-i", inv, "--yes", "--var", `broker_heap=${heap}`],
          { env, logDir, name: "preflight" },
        );
        const why = tail(r, 80);
        expect(r.code, why).toBe(1);
        expect(r.out, why).toMatch(
          new RegExp(
            `b ! FAILED: port\\(s\\) ${PORTS.b} already in use on .*\\(${m("b").address.replaceAll(".", "\\.")}\\).*set broker_port`,
          ),
        );
        expect(r.out, why).toMatch(
          /a ! FAILED: the broker needs \d+ MB \(heap \d+g \+ direct memory 512m\) but .* set broker_heap smaller/,
        );
        expect(r.out, why).toMatch(/b ! FAILED: the broker needs \d+ MB/);
        expect(r.out, why).toContain(`a ! FAILED: the store ${store} on`);
        expect(r.out, why).toMatch(
          new RegExp(`its lock is held by pid ${blocker[0]} .*stop that broker first`),
        );
        expect(r.out, why).toMatch(
          /run finished: failed: 3 checks failed: preflight-ports, preflight-memory, preflight-store; stopped before \S+, which changes the machines/,
        );
        // Nothing was started, installed or written: the only JVM is the test's own broker.
        expect(jvmsOf(harness.machines.map((x) => x.user)).map((j) => j.pid)).toEqual(blocker);
        for (const n of ["ns1", "a", "b"]) {
          expect(existsSync(join(m(n).home, "rocketmq-node", "conf"))).toBe(false);
          expect(existsSync(join(m(n).home, "rocketmq-node", "rocketmq", "lib"))).toBe(false);
        }
      } catch (e) {
        machines.failed();
        throw e;
      } finally {
        listener?.close();
        await killJvms(harness.machines.map((x) => x.user));
      }
    },
    8 * MINUTE,
  );
});

/** The machine's home stays its user's: the blocking broker creates the store under it. */
function chownAll(home: string): void {
  const owner = statSync(home);
  mkdirSync(join(home, "rocketmq-node"), { recursive: true });
  Bun.spawnSync(["chown", `${owner.uid}:${owner.gid}`, join(home, "rocketmq-node")]);
}
