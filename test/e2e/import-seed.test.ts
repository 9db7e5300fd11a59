import { beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Plan } from "../../src/model/plan.ts";
import type { SshdHarness, SshdMachine } from "../helpers/sshd-harness.ts";
import { SEED as SEED_PATH, SEED_ROLES } from "../import/seed-roles.ts";
import {
  type CliRun,
  clusterList,
  e2eMachines,
  eventually,
  jvmsOf,
  REPO,
  runbookExpecting,
  TOOLS_HOME,
  writeInventory,
} from "./cluster.ts";

/**
 * The document this project started from, imported with `runbook import` and run for real: its
 * multi-master part (a NameServer, then the masters of machines A and B, each with the release's
 * conf/2m-noslave file) over SSH on loopback machines. Only the document's NameServer address is
 * changed, through the variable import made of it. The clone and the Maven build need a network the
 * tests do not have, so each machine gets an installation where the document's build would leave one
 * (`rocketmq/distribution/target/rocketmq-4.5.x/rocketmq-4.5.x`, the `cd` import carried into a
 * variable), made from the e2e cache, with the release's `conf/2m-noslave/` files in place.
 */
const MINUTE = 60_000;
const SEED = join(REPO, SEED_PATH);
/** Where the document's `cd distribution/target/rocketmq-4.5.x/rocketmq-4.5.x` leaves an operator, from the home. */
const WORKDIR = "rocketmq/distribution/target/rocketmq-4.5.x/rocketmq-4.5.x";
const PORTS: Record<string, number> = { a: 21011, b: 21021 };

const machines = e2eMachines("import", {
  names: ["ns", "a", "b", "c", "d"],
  userPrefix: "rbimp",
  firstAddress: 220,
});
let harness: SshdHarness;
let dir: string;
let logDir: string;
let env: Record<string, string>;
beforeAll(() => {
  ({ harness, dir, logDir, env } = machines);
});

/**
 * The release's conf/2m-noslave/broker-X.properties, and below them what a machine of this host needs
 * of its own: every broker here shares one host, so each registers and listens on its own loopback
 * address and port (the release's files leave both to defaults that would collide).
 */
function releaseBrokerConfig(broker: "a" | "b", m: SshdMachine): string {
  return [
    "brokerClusterName=DefaultCluster",
    `brokerName=broker-${broker}`,
    "brokerId=0",
    "deleteWhen=04",
    "fileReservedTime=48",
    "brokerRole=ASYNC_MASTER",
    "flushDiskType=ASYNC_FLUSH",
    "# this test machine's own address and port",
    `brokerIP1=${m.address}`,
    `bindAddress=${m.address}`,
    `listenPort=${PORTS[broker]}`,
    "",
  ].join("\n");
}

/**
 * The installation the document's build would have left in the machine's home: lib/ from the cache,
 * bin/mqnamesrv and bin/mqbroker calling the cache's launchers (the NameServer with a configuration
 * that keeps it on this machine's loopback address: the release's would listen on every interface),
 * and conf/2m-noslave/. Owned by the machine's user, as a build of its own would be.
 */
function install(m: SshdMachine): string {
  const home = join(m.home, WORKDIR);
  mkdirSync(join(home, "bin"), { recursive: true });
  mkdirSync(join(home, "conf", "2m-noslave"), { recursive: true });
  symlinkSync(join(TOOLS_HOME, "lib"), join(home, "lib"));
  writeFileSync(join(home, "conf", "namesrv.properties"), `bindAddress=${m.address}\nlistenPort=9876\n`);
  const launcher = (name: string, extra: string) =>
    `#!/bin/sh\n# The test machine's installation: the e2e cache's launcher.\nexec ${join(TOOLS_HOME, "bin", name)} ${extra}"$@"\n`;
  writeFileSync(
    join(home, "bin", "mqnamesrv"),
    launcher("mqnamesrv", '-c "$(dirname "$0")/../conf/namesrv.properties" '),
    { mode: 0o755 },
  );
  writeFileSync(join(home, "bin", "mqbroker"), launcher("mqbroker", ""), { mode: 0o755 });
  for (const broker of ["a", "b"] as const)
    writeFileSync(
      join(home, "conf", "2m-noslave", `broker-${broker}.properties`),
      releaseBrokerConfig(broker, harness.machine(broker)),
    );
  const chown = spawnSync("chown", ["-R", `${m.user}:`, join(m.home, "rocketmq")]);
  if (chown.status !== 0) throw new Error(`chown failed: ${chown.stderr}`);
  return home;
}

/** Runs the CLI; a different exit code fails the test with the run's last lines. */
const cli = (name: string, args: string[], expected = 0): Promise<CliRun> =>
  runbookExpecting(args, { env, logDir, name }, expected);

describe("runbook import, run for real", () => {
  test(
    "the seed document imported: its multi-master part starts a NameServer waiting for its boot line and the masters of A and B with conf/2m-noslave, over ssh; clusterList shows both",
    async () => {
      try {
        const imported = join(dir, "rocketmq-cluster-modes.runbook.md");
        await cli("import", ["import", SEED, "-o", imported, ...SEED_ROLES]);
        const m = (n: string) => harness.machine(n);
        const inv = writeInventory(join(dir, "machines.yaml"), harness, [
          { name: "ns", machine: m("ns"), roles: ["nameserver"] },
          { name: "a", machine: m("a"), roles: ["broker-a"] },
          { name: "b", machine: m("b"), roles: ["broker-b"] },
          { name: "c", machine: m("c"), roles: ["broker-a-s"] },
          { name: "d", machine: m("d"), roles: ["broker-b-s"] },
        ]);
        for (const n of ["ns", "a", "b"]) install(m(n));
        const ns = `${m("ns").address}:9876`;
        const vars = ["--var", `namesrv_addr=${ns}`];

        // The multi-master phase's steps from its NameServer on, found in the reviewed plan.
        const planned = await cli("plan", ["plan", imported, "-i", inv, ...vars, "--json"]);
        const plan = JSON.parse(planned.out) as Plan;
        const phase = plan.phases.find((p) => p.title === "多Master模式");
        if (!phase) throw new Error(`no multi-master phase in ${plan.phases.map((p) => p.title).join(", ")}`);
        const from = phase.steps.findIndex((s) => s.title === "启动 NameServer");
        const steps = phase.steps.slice(from);
        expect(steps.map((s) => s.targets.map((t) => t.host).join(","))).toEqual(["ns", "a", "b"]);
        const commands = steps.flatMap((s) =>
          s.targets.flatMap((t) => t.actions.map((a) => (a.kind === "shell" ? a.command : ""))),
        );
        expect(commands.join("\n")).toContain(
          `sh bin/mqbroker -n ${ns} -c ./conf/2m-noslave/broker-a.properties`,
        );
        expect(commands.join("\n")).not.toContain("192.168.1.1");

        const run = await cli("run", [
          "run",
          imported,
          "-i",
          inv,
          ...vars,
          "--yes",
          "--only",
          steps.map((s) => s.id).join(","),
        ]);
        // The NameServer step waited for its boot line before the brokers started.
        expect(run.out).toMatch(/The Name Server boot success/);

        const users = harness.machines.map((x) => x.user);
        await eventually(
          async () => (await clusterList(ns, logDir)).length === 2,
          3 * MINUTE,
          "both masters in clusterList",
        );
        expect(await clusterList(ns, logDir)).toEqual([
          { cluster: "DefaultCluster", broker: "broker-a", id: 0, addr: `${m("a").address}:${PORTS.a}` },
          { cluster: "DefaultCluster", broker: "broker-b", id: 0, addr: `${m("b").address}:${PORTS.b}` },
        ]);
        // Each JVM on its own machine, the brokers with the document's -c files; C and D ran nothing.
        expect(
          jvmsOf(users)
            .map((j) => `${j.user} ${j.main} ${j.config ?? ""}`)
            .sort(),
        ).toEqual(
          [
            `${m("a").user} BrokerStartup ./conf/2m-noslave/broker-a.properties`,
            `${m("b").user} BrokerStartup ./conf/2m-noslave/broker-b.properties`,
            `${m("ns").user} NamesrvStartup bin/../conf/namesrv.properties`,
          ].sort(),
        );
        expect(readFileSync(join(m("ns").home, "logs", "rocketmqlogs", "namesrv.log"), "utf8")).toContain(
          "The Name Server boot success",
        );
      } catch (e) {
        machines.failed();
        throw e;
      }
    },
    10 * MINUTE,
  );
});
