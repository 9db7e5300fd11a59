import { beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { SshdHarness, SshdMachine } from "../helpers/sshd-harness.ts";
import {
  brokerStatus,
  type CliRun,
  clusterList,
  e2eMachines,
  eventually,
  jvmsOf,
  killJvms,
  mqadmin,
  type NodeSpec,
  runbookExpecting,
  type Send,
  startProducer,
  writeInventory,
} from "./cluster.ts";

/**
 * RocketMQ 5's controller mode, run for real: three controllers (inside the NameServers, then as
 * processes of their own), two broker groups of two replicas each, checked from outside with mqadmin;
 * then the failover drill: a master's JVM killed by PID while a real producer sends, the on-call
 * runbook confirming the controller elected the slave and bringing the old master back as a slave.
 */
const MINUTE = 60_000;
const PORTS = { a: 22011, b: 22021, c: 22031, d: 22041 };
const CONTROLLER_PORT = 9878;
const STANDALONE_PORT = 9868;

const machines = e2eMachines("controller", {
  names: ["ns1", "ns2", "ns3", "a", "b", "c", "d"],
  userPrefix: "rbctl",
  firstAddress: 226,
});
let harness: SshdHarness;
let dir: string;
let logDir: string;
let env: Record<string, string>;
beforeAll(() => {
  ({ harness, dir, logDir, env } = machines);
});

const m = (name: string): SshdMachine => harness.machine(name);
const addr = (name: string, port: number) => `${m(name).address}:${port}`;
const users = () => harness.machines.map((x) => x.user);
const NAMESERVERS = ["ns1", "ns2", "ns3"];

/** Runs the CLI; a different exit code fails the test with the run's last lines. */
const cli = (name: string, args: string[], expected = 0): Promise<CliRun> =>
  runbookExpecting(args, { env, logDir, name }, expected);

function layout(standalone: boolean): NodeSpec[] {
  const nodes: NodeSpec[] = NAMESERVERS.map((n) => ({
    name: n,
    machine: m(n),
    roles: ["nameserver"],
    vars: { controller_port: CONTROLLER_PORT },
  }));
  if (standalone) {
    // A standalone controller beside each NameServer: an inventory entry of its own on that machine,
    // with its own base_dir (and installation) and ports.
    for (const n of NAMESERVERS) {
      nodes.push({
        name: `${n}-ctl`,
        machine: m(n),
        roles: ["controller"],
        vars: {
          base_dir: "~/rocketmq-ctl",
          controller_port: STANDALONE_PORT,
          controller_listen_port: STANDALONE_PORT + 1,
        },
      });
    }
  }
  nodes.push(
    { name: "a", machine: m("a"), roles: ["broker-a"], vars: { broker_port: PORTS.a } },
    { name: "b", machine: m("b"), roles: ["broker-b"], vars: { broker_port: PORTS.b } },
    { name: "c", machine: m("c"), roles: ["broker-a-s"], vars: { broker_port: PORTS.c } },
    { name: "d", machine: m("d"), roles: ["broker-b-s"], vars: { broker_port: PORTS.d } },
  );
  return nodes;
}

/** `#Key value` lines and the replicas of `mqadmin getSyncStateSet`. */
async function syncStateSet(controller: string, broker: string) {
  const out = await mqadmin(["getSyncStateSet", "-a", controller, "-b", broker], logDir);
  const master = /#MasterAddr\s+(\S+)/.exec(out)?.[1];
  const inSync = [...out.matchAll(/^InSyncReplica:.*brokerAddress='([^']+)', alive=true/gm)].map((x) => x[1]);
  return { out, master, inSync: inSync.sort() };
}

/** Deploys controller-mode.md and checks it from outside: a leader, both groups in sync, a message each way. */
async function deployAndCheck(mode: "embedded" | "standalone"): Promise<{ ns: string; inv: string }> {
  const inv = writeInventory(join(dir, `${mode}.yaml`), harness, layout(mode === "standalone"));
  await cli(`${mode}-deploy`, [
    "run",
    "runbooks/rocketmq/controller-mode.md",
    "-i",
    inv,
    "--yes",
    "--var",
    `controller_deploy=${mode}`,
  ]);
  const port = mode === "embedded" ? CONTROLLER_PORT : STANDALONE_PORT;
  const controllers = NAMESERVERS.map((n) => addr(n, port));
  // Every controller knows the same leader, one of the three (asked one after another, again while a
  // controller's answer is not in yet).
  let answers: string[] = [];
  const leaders = async () => {
    answers = [];
    for (const c of controllers) answers.push(await mqadmin(["getControllerMetaData", "-a", c], logDir));
    return answers.map((a) => /#ControllerLeaderAddress\s+(\S+)/.exec(a)?.[1]);
  };
  await eventually(
    async () => new Set(await leaders()).size === 1,
    MINUTE,
    "every controller to name the same leader",
  ).catch((e) => {
    throw new Error(`${e}\n${answers.join("\n---\n")}`);
  });
  const leader = (await leaders())[0];
  expect(controllers).toContain(leader as string);
  // The first replica of each group is its master; both replicas are in the SyncStateSet.
  for (const [broker, first, second] of [
    ["broker-a", addr("a", PORTS.a), addr("c", PORTS.c)],
    ["broker-b", addr("b", PORTS.b), addr("d", PORTS.d)],
  ] as const) {
    const s = await syncStateSet(controllers[1] as string, broker);
    expect(s.master, s.out).toBe(first);
    expect(s.inSync, s.out).toEqual([first, second].sort());
  }
  const ns = NAMESERVERS.map((n) => addr(n, 9876)).join(";");
  expect((await clusterList(ns, logDir)).map((r) => `${r.broker} ${r.id} ${r.addr}`)).toEqual([
    `broker-a 0 ${addr("a", PORTS.a)}`,
    `broker-a 2 ${addr("c", PORTS.c)}`,
    `broker-b 0 ${addr("b", PORTS.b)}`,
    `broker-b 2 ${addr("d", PORTS.d)}`,
  ]);
  // A message sent through each master is read back.
  for (const broker of ["broker-a", "broker-b"]) {
    const body = `e2e-controller-${mode}-${broker}-${Date.now()}`;
    const sent = await mqadmin(
      ["sendMessage", "-n", ns, "-t", "RunbookCheck", "-b", broker, "-i", "1", "-p", body],
      logDir,
    );
    expect(sent).toMatch(new RegExp(`${broker}\\s+1\\s+SEND_OK`));
    const read = await mqadmin(
      ["consumeMessage", "-n", ns, "-t", "RunbookCheck", "-b", broker, "-i", "1", "-c", "50"],
      logDir,
    );
    expect(read).toContain(`BODY: ${body}`);
  }
  return { ns, inv };
}

/** Every JVM of the machines stopped by PID, and what the deployment wrote removed (the installations stay). */
async function cleanUp(): Promise<void> {
  await killJvms(users());
  for (const x of harness.machines) {
    for (const base of ["rocketmq-node", "rocketmq-ctl"])
      for (const sub of ["conf", "store", "logs", "controller"])
        rmSync(join(x.home, base, sub), { recursive: true, force: true });
    rmSync(join(x.home, ".runbook", "lock"), { recursive: true, force: true });
  }
}

async function scenario(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    machines.failed();
    throw e;
  } finally {
    await cleanUp();
  }
}

describe("RocketMQ controller mode, over ssh", () => {
  test(
    "embedded controllers: deployed and checked; a master killed while a producer sends, the slave elected, the drill brings the old master back as a slave",
    () =>
      scenario(async () => {
        const { ns, inv } = await deployAndCheck("embedded");
        const producer = await startProducer(ns, "RunbookCheck", dir);
        let killedAt = 0;
        let drillEnd = 0;
        let drill: CliRun;
        try {
          await eventually(
            () => producer.sends().filter((s) => s.ok && s.detail === "broker-a").length >= 5,
            MINUTE,
            "sends to broker-a",
          );
          const master = jvmsOf([m("a").user]).find((j) => j.main === "BrokerStartup");
          expect(master).toBeDefined();
          killedAt = Date.now();
          process.kill(master?.pid as number, "SIGKILL");
          drill = await cli("failover-drill", [
            "run",
            "runbooks/rocketmq/master-down-controller.md",
            "-i",
            inv,
            "--yes",
            "--var",
            "broker=broker-a",
            "--var",
            "down_id=0",
          ]);
          drillEnd = Date.now();
          await eventually(
            () => producer.sends().some((s) => s.ok && s.detail === "broker-a" && s.start > killedAt),
            MINUTE,
            "a send to broker-a after the kill",
          );
        } finally {
          await producer.stop();
        }
        const sends = producer.sends();
        const back = sends.find((s) => s.ok && s.detail === "broker-a" && s.start > killedAt);
        const lastBefore = sends.filter((s) => s.ok && s.detail === "broker-a" && s.end <= killedAt).at(-1);
        const failed = sends.filter((s) => !s.ok && s.start >= killedAt && s.start <= (back?.start ?? 0));
        // The other group takes sends the whole time: its longest gap from the kill to the end of the drill.
        const toB = sends.filter(
          (x) => x.ok && x.detail === "broker-b" && x.start >= killedAt && x.end <= drillEnd,
        );
        const gapB = Math.max(0, ...toB.slice(1).map((x, i) => x.end - (toB[i] as Send).end));
        const gap = (back?.end ?? 0) - (lastBefore?.end ?? killedAt);
        console.log(
          `controller failover: sends to broker-a failed for ${((back?.end ?? 0) - killedAt) / 1000} s after its master's JVM was killed ` +
            `(${gap / 1000} s between the last send to it before and the first after; ${failed.length} sends failed); ` +
            `broker-b took ${toB.length} sends meanwhile, never more than ${gapB / 1000} s apart`,
        );
        // Failover is automatic and quick: well under the two minutes the NameServers take to drop a broker.
        expect(back).toBeDefined();
        expect(gap).toBeLessThan(MINUTE);
        expect(toB.length).toBeGreaterThan(10);
        expect(gapB).toBeLessThan(5000);
        expect(drill.out).toMatch(
          new RegExp(`elected: ${addr("c", PORTS.c).replaceAll(".", "\\.")} is the master of broker-a`),
        );
        expect(drill.out).toMatch(/received BODY: runbook-failover-broker-a-/);
        expect(drill.out).toMatch(
          new RegExp(`rejoined: ${addr("a", PORTS.a).replaceAll(".", "\\.")} is a slave of broker-a again`),
        );
        // From outside: c is the master, a its in-sync slave, the NameServers agree.
        const s = await syncStateSet(addr("ns1", CONTROLLER_PORT), "broker-a");
        expect(s.master, s.out).toBe(addr("c", PORTS.c));
        expect(s.inSync, s.out).toEqual([addr("a", PORTS.a), addr("c", PORTS.c)].sort());
        // With the producer stopped, the old master holds exactly what the new one holds.
        await eventually(
          async () => {
            const [c, a] = await Promise.all([
              brokerStatus(ns, addr("c", PORTS.c), logDir),
              brokerStatus(ns, addr("a", PORTS.a), logDir),
            ]);
            return c.commitLogMaxOffset !== undefined && c.commitLogMaxOffset === a.commitLogMaxOffset;
          },
          MINUTE,
          "the old master to reach the new master's commit log offset",
        );
        const rows = (await clusterList(ns, logDir)).filter((r) => r.broker === "broker-a");
        expect(rows.map((r) => `${r.id} ${r.addr}`)).toEqual([
          `0 ${addr("c", PORTS.c)}`,
          `1 ${addr("a", PORTS.a)}`,
        ]);
        // The health check follows the roles as they are now: c the master, a its slave, both groups in sync.
        const health = await cli("controller-health", [
          "run",
          "runbooks/rocketmq/health-check.md",
          "-i",
          inv,
          "--yes",
        ]);
        const esc = (x: string) => x.replaceAll(".", "\\.");
        expect(health.out).toMatch(
          new RegExp(
            `a \\| OK: the controllers agree on leader \\S+; ${esc(addr("a", PORTS.a))} is in sync in broker-a`,
          ),
        );
        expect(health.out).toMatch(/d \| OK: the controllers agree on leader /);
        expect(health.out).toContain("c | not applicable here: this broker is the master of broker-a");
        expect(health.out).toMatch(/a \| OK: replication lag \d+ bytes/);
        expect(health.out).toMatch(/a \| OK: NameServer \S+ lists DefaultCluster broker-a 1 /);
      }),
    20 * MINUTE,
  );

  test(
    "standalone controllers: three mqcontroller processes elect a leader and the groups fail over through them",
    () =>
      scenario(async () => {
        await deployAndCheck("standalone");
        const controllers = jvmsOf(NAMESERVERS.map((n) => m(n).user)).filter((j) =>
          j.config?.endsWith("/rocketmq-ctl/conf/controller.properties"),
        );
        expect(controllers).toHaveLength(3);
        // The NameServers run no controller of their own in this mode.
        for (const n of NAMESERVERS) {
          const out = await mqadmin(["getControllerMetaData", "-a", addr(n, CONTROLLER_PORT)], logDir);
          expect(out).not.toContain("#ControllerLeaderAddress");
        }
      }),
    15 * MINUTE,
  );
});
