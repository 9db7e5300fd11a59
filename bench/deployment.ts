/**
 * 6. deployment: the two-masters-two-slaves-async runbook on five harness machines (a NameServer and
 * brokers A-D, as in the original document), the real RocketMQ of the e2e cache, against the same
 * runbook with `--forks 1`: the same commands, checks and waits, one machine after another, which is
 * how the original document has an operator do it (start the master on A, watch its log, then B, ...).
 * The operator's own reading and typing are not counted, so the serial figure is the document's best
 * case. Each round deploys both ways on fresh configurations and stores (the installation stays, as it
 * would on real machines: an untimed first deployment installs it).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clusterList, killJvms, prefetch, writeInventory } from "../test/e2e/cluster.ts";
import { type SshdHarness, startSshdHarness } from "../test/helpers/sshd-harness.ts";
import { CLI, fmt, measure, ROUNDS, ratio, record, Samples, secs } from "./measure.ts";

const RUNBOOK = "runbooks/rocketmq/two-masters-two-slaves-async.md";
const NAMES = ["ns1", "a", "b", "c", "d"];

/** Every JVM of the machines stopped by PID; configurations, stores, logs and locks gone. */
async function reset(harness: SshdHarness): Promise<void> {
  await killJvms(harness.machines.map((m) => m.user));
  for (const m of harness.machines) {
    for (const sub of ["conf", "store", "logs"])
      rmSync(join(m.home, "rocketmq-node", sub), { recursive: true, force: true });
    rmSync(join(m.home, ".runbook", "lock"), { recursive: true, force: true });
  }
}

export async function deployment(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "runbook-bench-deploy-"));
  const env = { RUNBOOK_STATE_DIR: join(dir, "state"), NO_COLOR: "1" };
  await prefetch(join(dir, "logs"), env.RUNBOOK_STATE_DIR);
  const harness = await startSshdHarness({
    names: NAMES,
    userPrefix: "rbbdep",
    firstAddress: 110,
    lockWaitMs: 60_000,
  });
  try {
    const m = (n: string) => harness.machine(n);
    const inventory = writeInventory(join(dir, "inventory.yaml"), harness, [
      { name: "ns1", machine: m("ns1"), roles: ["nameserver"] },
      { name: "a", machine: m("a"), roles: ["broker-a"], vars: { broker_port: 22911 } },
      { name: "b", machine: m("b"), roles: ["broker-b"], vars: { broker_port: 22921 } },
      { name: "c", machine: m("c"), roles: ["broker-a-s"], vars: { broker_port: 22931 } },
      { name: "d", machine: m("d"), roles: ["broker-b-s"], vars: { broker_port: 22941 } },
    ]);
    const ns = `${m("ns1").address}:9876`;
    const deploy = async (forks: number) => {
      const t = await measure([...CLI, "run", RUNBOOK, "-i", inventory, "--yes", "--forks", String(forks)], {
        env,
      });
      // A deployment that did not leave four brokers registered is not a figure.
      const rows = await clusterList(ns, join(dir, "logs"));
      if (rows.length !== 4)
        throw new Error(`bench: the deployment left ${rows.length} brokers registered, not 4`);
      await reset(harness);
      return t.ms;
    };
    await deploy(16); // installs RocketMQ on every machine: not timed
    const s = new Samples();
    for (let round = 0; round < ROUNDS; round++) {
      // Interleaved, the order alternating: neither way always runs on a warmer machine.
      const order = round % 2 === 0 ? [16, 1] : [1, 16];
      for (const forks of order) s.add(forks === 1 ? "serial" : "parallel", await deploy(forks));
    }
    const parallel = s.stat("parallel", "deployment.runbook.ms");
    const serial = s.stat("serial", "deployment.serial.ms");
    const r = ratio(serial, parallel);
    record("deployment.ratio.serial", r);
    console.log("");
    console.log(`6. deployment: ${RUNBOOK} on 5 machines (median of ${ROUNDS} interleaved runs, min-max)`);
    console.log(`   runbook, a step's machines at once            ${secs(parallel)}`);
    console.log(`   the same commands one machine after another   ${secs(serial)}`);
    console.log(`   one after another takes ${fmt(r, 2)}x the time`);
  } finally {
    await reset(harness).catch(() => {});
    await harness.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
