import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SshdHarness, type SshdMachine, startSshdHarness } from "../helpers/sshd-harness.ts";
import { Tmux } from "../tmux/tmux.ts";
import {
  brokerStatus,
  type CliRun,
  type ClusterRow,
  clusterList,
  eventually,
  jvmsOf,
  jvmsUnder,
  killJvms,
  longestOutage,
  MAVEN_REPO,
  mqadmin,
  type NodeSpec,
  prefetch,
  REPO,
  runbook,
  runbookExpecting,
  startedAt,
  startProducer,
  tail,
  writeInventory,
} from "./cluster.ts";

/**
 * The shipped RocketMQ runbooks, run as a user runs them (`runbook run ... --yes`), over SSH, on
 * loopback machines (NameServers ns1 and ns2, brokers A-D, as in the document), with a real RocketMQ
 * from Maven Central downloaded once. The modes run one after another on the same machines: each is
 * deployed, checked from outside with mqadmin (topology, a topic, messages,
 * replication), exercised with its on-call runbooks, and taken down. Every server listens on its
 * machine's own loopback address (a broker's HA port listens on every address: RocketMQ has no
 * setting for it, so each broker of the host has its own ports).
 */
const MINUTE = 60_000;
/** The document's machines: NameServers ns1 and ns2, brokers A-D. The modes run one after another on them. */
const NAMES = ["ns1", "ns2", "a", "b", "c", "d"];

let harness: SshdHarness;
let dir: string;
let logDir: string;
let env: Record<string, string>;
let failed = false;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "runbook-e2e-"));
  logDir = join(dir, "logs");
  const state = join(dir, "state");
  env = { RUNBOOK_STATE_DIR: state };
  await prefetch(logDir, state);
  harness = await startSshdHarness({
    names: NAMES,
    userPrefix: "rbmq",
    firstAddress: 101,
    lockWaitMs: 5 * MINUTE,
  });
}, 15 * MINUTE);

afterAll(async () => {
  if (harness) await killJvms(harness.machines.map((m) => m.user));
  await harness?.stop();
  if (dir && !failed && !process.env.RUNBOOK_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
  else if (dir) console.error(`RocketMQ end-to-end logs kept in ${logDir}`);
}, MINUTE);

const m = (name: string): SshdMachine => harness.machine(name);
const addr = (name: string, port: number) => `${m(name).address}:${port}`;
const users = () => harness.machines.map((x) => x.user);
const row = (broker: string, id: number, address: string): ClusterRow => ({
  cluster: "DefaultCluster",
  broker,
  id,
  addr: address,
});

/** Runs the CLI; a different exit code fails the test with the run's last lines. */
const cli = (name: string, args: string[], expected = 0): Promise<CliRun> =>
  runbookExpecting(args, { env, logDir, name }, expected);

/**
 * Runs one mode. Whatever happens, its JVMs are stopped by PID afterwards and its configurations,
 * stores, logs and locks are removed (the installations stay for the next mode, as on real machines).
 */
async function scenario(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    await killJvms(users());
    for (const x of harness.machines) {
      for (const base of ["rocketmq-node", "rocketmq-b"])
        for (const sub of ["conf", "store", "logs"])
          rmSync(join(x.home, base, sub), { recursive: true, force: true });
      // A run that failed keeps its machines locked for its resume; the next mode starts afresh.
      rmSync(join(x.home, ".runbook", "lock"), { recursive: true, force: true });
    }
  }
}

/** A topic created on every master, then a message sent to each master and read back. */
async function sendAndReceive(ns: string, topic: string, brokers: string[]): Promise<void> {
  const created = await mqadmin(["updateTopic", "-n", ns, "-c", "DefaultCluster", "-t", topic], logDir);
  expect(created.match(/create topic to \S+ success/g)?.length).toBe(brokers.length);
  await Promise.all(
    brokers.map(async (broker) => {
      const body = `e2e-${topic}-${broker}-${Date.now()}`;
      const sent = await mqadmin(
        ["sendMessage", "-n", ns, "-t", topic, "-b", broker, "-i", "0", "-p", body],
        logDir,
      );
      expect(sent).toMatch(new RegExp(`${broker}\\s+0\\s+SEND_OK`));
      const read = await mqadmin(
        ["consumeMessage", "-n", ns, "-t", topic, "-b", broker, "-i", "0", "-c", "10"],
        logDir,
      );
      expect(read).toContain(`BODY: ${body}`);
    }),
  );
}

/** Each slave at its master's commitLogMaxOffset (not zero), and the master counts it in sync. */
async function replicated(ns: string, pairs: [master: string, slave: string][]): Promise<void> {
  await Promise.all(
    pairs.map(async ([master, slave]) => {
      await eventually(
        async () => {
          const [mo, so] = await Promise.all([
            brokerStatus(ns, master, logDir).then((s) => s.commitLogMaxOffset),
            brokerStatus(ns, slave, logDir).then((s) => s.commitLogMaxOffset),
          ]);
          return mo !== undefined && mo !== "0" && mo === so;
        },
        2 * MINUTE,
        `slave ${slave} to reach master ${master}'s commit log offset`,
      );
      expect(await mqadmin(["haStatus", "-n", ns, "-b", master], logDir)).toMatch(/#InSyncSlaveNum\s+1/);
    }),
  );
}

/** The NameServer on ns1 and brokers A-D on machines a-d, as in the document, each with its own ports. */
function pairsLayout(): NodeSpec[] {
  return [
    { name: "ns1", machine: m("ns1"), roles: ["nameserver"] },
    { name: "a", machine: m("a"), roles: ["broker-a"], vars: { broker_port: 20911 } },
    { name: "b", machine: m("b"), roles: ["broker-b"], vars: { broker_port: 20921 } },
    { name: "c", machine: m("c"), roles: ["broker-a-s"], vars: { broker_port: 20931 } },
    { name: "d", machine: m("d"), roles: ["broker-b-s"], vars: { broker_port: 20941 } },
  ];
}

/**
 * Deploys a two-masters-two-slaves runbook on pairsLayout and checks it from outside: the four rows of
 * clusterList, a topic with a message through each master, and each slave at its master's offset.
 */
async function deployPairs(mode: "async" | "sync", topic: string) {
  const inv = writeInventory(join(dir, `${mode}.yaml`), harness, pairsLayout());
  const ns = addr("ns1", 9876);
  const [aAddr, bAddr, cAddr, dAddr] = [
    addr("a", 20911),
    addr("b", 20921),
    addr("c", 20931),
    addr("d", 20941),
  ];
  await cli(`${mode}-deploy`, [
    "run",
    `runbooks/rocketmq/two-masters-two-slaves-${mode}.md`,
    "-i",
    inv,
    "--yes",
  ]);
  expect(await clusterList(ns, logDir)).toEqual([
    row("broker-a", 0, aAddr),
    row("broker-a", 1, cAddr),
    row("broker-b", 0, bAddr),
    row("broker-b", 1, dAddr),
  ]);
  await sendAndReceive(ns, topic, ["broker-a", "broker-b"]);
  await replicated(ns, [
    [aAddr, cAddr],
    [bAddr, dAddr],
  ]);
  return { inv, ns, aAddr: aAddr, cAddr: cAddr };
}

/** Each broker machine's BrokerStartup PID. */
function brokerPids(machines: string[]): Record<string, number> {
  const jvms = jvmsOf(users());
  return Object.fromEntries(
    machines.map((x) => [x, jvms.find((j) => j.user === m(x).user && j.main === "BrokerStartup")?.pid ?? 0]),
  );
}

/**
 * rolling-restart.md on the async pairs (a/c and b/d) with a producer sending to E2E_ROLLING from
 * before the run to after it: every broker is a new process, the slaves started again before the
 * masters, one broker per batch, the cluster whole afterwards, and the producer never went without a
 * successful send for as long as one broker's restart took.
 */
async function rollingRestart(inv: string, ns: string): Promise<void> {
  const brokers = ["a", "b", "c", "d"];
  const before = brokerPids(brokers);
  for (const x of brokers) expect(before[x]).toBeGreaterThan(0);
  // A topic of its own: the messages the test reads back later stay among the first of E2E_ASYNC.
  const created = await mqadmin(
    ["updateTopic", "-n", ns, "-c", "DefaultCluster", "-t", "E2E_ROLLING"],
    logDir,
  );
  expect(created.match(/create topic to \S+ success/g)?.length).toBe(2);
  const producer = await startProducer(ns, "E2E_ROLLING", dir);
  let roll: CliRun;
  let from: number;
  let to: number;
  try {
    from = Date.now();
    roll = await cli("async-rolling-restart", [
      "run",
      "runbooks/rocketmq/rolling-restart.md",
      "-i",
      inv,
      "--yes",
      "--var",
      "drain_seconds=3",
      "--var",
      "test_topic=E2E_ROLLING",
    ]);
    to = Date.now();
    // Sends go on through both masters after the run.
    await eventually(
      () =>
        ["broker-a", "broker-b"].every((b) =>
          producer.sends().some((x) => x.ok && x.start > to && x.detail === b),
        ),
      30_000,
      "sends through both masters after the rolling restart",
    );
  } finally {
    await producer.stop();
  }
  // One broker per batch, slaves first, in inventory order.
  expect([...roll.out.matchAll(/^--- batch (\d)\/(\d) on (.*)$/gm)].map((x) => x.slice(1).join(" "))).toEqual(
    ["1 2 c", "2 2 d", "1 2 a", "2 2 b"],
  );
  expect(roll.out).toContain("wipe write perm of broker[broker-a] in name server");
  expect(roll.out).toContain("add write perm of broker[broker-b] in name server");
  // Every broker is a new JVM, and they started one after another: c, d, then a, b.
  const after = brokerPids(brokers);
  for (const x of brokers) {
    expect(after[x]).toBeGreaterThan(0);
    expect(after[x]).not.toBe(before[x] as number);
  }
  const started = ["c", "d", "a", "b"].map((x) => startedAt(after[x] as number));
  expect(started).toEqual([...started].sort((x, y) => x - y));
  expect(new Set(started).size).toBe(4);
  // The cluster is whole: four brokers registered, both masters writable on the topic.
  expect(await clusterList(ns, logDir)).toHaveLength(4);
  for (const topic of ["E2E_ROLLING", "E2E_ASYNC"]) {
    const route = await mqadmin(["topicRoute", "-n", ns, "-t", topic], logDir);
    expect(route.match(/"perm":6/g)?.length).toBe(2);
  }
  // Each broker's restart, from the plain output: its first "host: ok (N s)" line in its batch.
  const restarts = [
    ...roll.out.matchAll(/^--- batch \d\/\d on (\S+)\n[\s\S]*?^ {4}\1: ok \(([\d.]+)s\)$/gm),
  ].map((x) => Number(x[2]) * 1000);
  expect(restarts).toHaveLength(4);
  const outage = longestOutage(producer.sends(), from, to);
  const sent = producer.sends().filter((x) => x.start >= from && x.end <= to);
  console.log(
    `rolling restart: ${Math.round((to - from) / 1000)} s; broker restarts ${restarts.map((r) => `${r / 1000} s`).join(", ")}; ` +
      `${sent.length} sends during it, ${outage.failed} failed; longest time without a successful send ${outage.ms} ms`,
  );
  // No window without a successful send as long as even the shortest restart of one broker.
  expect(outage.ms).toBeLessThan(Math.min(...restarts));
  expect(sent.filter((x) => x.ok).length).toBeGreaterThan(100);
}

describe("RocketMQ end to end, over ssh", () => {
  test(
    "single master: deployed and checked; a rolling restart is refused; teardown without the cluster name is refused before it stops anything, with it stops everything and deletes the stores",
    () =>
      scenario(async () => {
        const inv = writeInventory(join(dir, "single.yaml"), harness, [
          { name: "ns1", machine: m("ns1"), roles: ["nameserver"] },
          { name: "a", machine: m("a"), roles: ["broker-a"], vars: { broker_port: 20911 } },
        ]);
        const ns = addr("ns1", 9876);
        await cli("single-deploy", ["run", "runbooks/rocketmq/single-master.md", "-i", inv, "--yes"]);
        expect(await clusterList(ns, logDir)).toEqual([row("broker-a", 0, addr("a", 20911))]);
        await sendAndReceive(ns, "E2E_SINGLE", ["broker-a"]);
        // A rolling restart of the only master is refused by its precheck: nothing stops.
        const pid = () => jvmsOf(users()).find((j) => j.main === "BrokerStartup")?.pid;
        const broker = pid();
        const rolling = await cli(
          "single-rolling-restart",
          ["run", "runbooks/rocketmq/rolling-restart.md", "-i", inv, "--yes"],
          1,
        );
        expect(rolling.out).toContain("broker-a is the only master: while it restarts nobody can send");
        expect(rolling.out).toContain("--var allow_downtime=true");
        expect(rolling.out).not.toContain("--- batch");
        expect(pid()).toBe(broker as number);
        // The failed run keeps its machines locked for a resume; this one is given up.
        for (const x of [m("ns1"), m("a")])
          rmSync(join(x.home, ".runbook", "lock"), { recursive: true, force: true });
        expect(
          jvmsOf(users())
            .map((j) => `${j.user} ${j.main}`)
            .sort(),
        ).toEqual([`${m("a").user} BrokerStartup`, `${m("ns1").user} NamesrvStartup`].sort());

        // Without the word the run is refused before step 1: nothing is stopped, nothing deleted.
        const inventory = ["-i", inv, "--yes"];
        const refused = await cli(
          "single-teardown",
          ["run", "runbooks/rocketmq/teardown.md", ...inventory],
          4,
        );
        expect(refused.out).toContain('add --confirm "DefaultCluster"');
        expect(
          jvmsOf(users())
            .map((j) => `${j.user} ${j.main}`)
            .sort(),
        ).toEqual([`${m("a").user} BrokerStartup`, `${m("ns1").user} NamesrvStartup`].sort());
        const store = join(m("a").home, "rocketmq-node", "store", "commitlog");
        expect(existsSync(store)).toBe(true);
        // With it: every process stops and the stores go; the installation stays.
        await cli("single-teardown-confirmed", [
          "run",
          "runbooks/rocketmq/teardown.md",
          ...inventory,
          "--confirm",
          "DefaultCluster",
        ]);
        expect(jvmsOf(users())).toEqual([]);
        expect(existsSync(store)).toBe(false);
        expect(existsSync(join(m("a").home, "rocketmq-node", "rocketmq", "bin", "mqbroker"))).toBe(true);
      }),
    12 * MINUTE,
  );

  test(
    "multi-master with two NameServers, both brokers on one host: restarting one master stops only its own broker",
    () =>
      scenario(async () => {
        // Brokers a and b share machine a (one user, one host), each with its own directory and ports.
        const inv = writeInventory(join(dir, "multi.yaml"), harness, [
          { name: "ns1", machine: m("ns1"), roles: ["nameserver"] },
          { name: "ns2", machine: m("ns2"), roles: ["nameserver"] },
          { name: "a", machine: m("a"), roles: ["broker-a"], vars: { broker_port: 20911 } },
          {
            name: "b",
            machine: m("a"),
            roles: ["broker-b"],
            vars: { broker_port: 20921, base_dir: "~/rocketmq-b" },
          },
        ]);
        const [ns1, ns2] = [addr("ns1", 9876), addr("ns2", 9876)];
        const expected = [row("broker-a", 0, addr("a", 20911)), row("broker-b", 0, addr("a", 20921))];
        await cli("multi-deploy", ["run", "runbooks/rocketmq/multi-master.md", "-i", inv, "--yes"]);
        // Every broker registered with both NameServers.
        expect(await clusterList(ns1, logDir)).toEqual(expected);
        expect(await clusterList(ns2, logDir)).toEqual(expected);
        await sendAndReceive(`${ns1};${ns2}`, "E2E_MULTI", ["broker-a", "broker-b"]);

        const pid = (base: string) =>
          jvmsOf(users()).find((j) => j.main === "BrokerStartup" && j.config?.includes(base))?.pid;
        const [aBefore, bBefore] = [pid("/rocketmq-node/"), pid("/rocketmq-b/")];
        expect(aBefore).toBeGreaterThan(0);
        const r = await cli("multi-restart-master", [
          "run",
          "runbooks/rocketmq/restart-master.md",
          "-i",
          inv,
          "--yes",
          "--var",
          "broker=broker-b",
          "--var",
          "drain_seconds=3",
        ]);
        expect(r.out).toContain("wipe write perm of broker[broker-b] in name server");
        expect(r.out).toContain("1 other broker(s) on this host keep running");
        expect(r.out).toContain("add write perm of broker[broker-b] in name server");
        // broker-a, on the same host, never stopped; broker-b is a new process on its old store.
        expect(pid("/rocketmq-node/")).toBe(aBefore as number);
        expect(pid("/rocketmq-b/")).not.toBe(bBefore as number);
        expect(await clusterList(ns2, logDir)).toEqual(expected);
        // perm 6: both brokers readable and writable again.
        const route = await mqadmin(["topicRoute", "-n", ns1, "-t", "E2E_MULTI"], logDir);
        expect(route.match(/"perm":6/g)?.length).toBe(2);
      }),
    12 * MINUTE,
  );

  test(
    "two masters and two slaves, async: replication, health check, a rolling restart of every broker while a producer sends, a master down read through its slave and restarted, teardown",
    () =>
      scenario(async () => {
        const { inv, ns, aAddr, cAddr } = await deployPairs("async", "E2E_ASYNC");
        const health = await cli("async-health", [
          "run",
          "runbooks/rocketmq/health-check.md",
          "-i",
          inv,
          "--yes",
        ]);
        expect(health.out).toMatch(/c \| OK: replication lag \d+ bytes/);
        expect(health.out).toMatch(/a \| OK: NameServer \S+ lists DefaultCluster broker-a 0/);

        // The rolling restart of all four brokers while a real producer sends throughout.
        await rollingRestart(inv, ns);

        // Messages written to broker-a and replicated; then its master dies hard.
        const bodies = [`before-crash-1-${Date.now()}`, `before-crash-2-${Date.now()}`];
        for (const body of bodies) {
          const sent = await mqadmin(
            ["sendMessage", "-n", ns, "-t", "E2E_ASYNC", "-b", "broker-a", "-i", "1", "-p", body],
            logDir,
          );
          expect(sent).toContain("SEND_OK");
        }
        await replicated(ns, [[aAddr, cAddr]]);
        // A slave copies its master's topic configs about once a minute; a master that dies before
        // that leaves a topic the slave cannot serve (the runbook says so). Here the topic must be there.
        const slaveTopics = join(m("c").home, "rocketmq-node", "store", "config", "topics.json");
        await eventually(
          async () => existsSync(slaveTopics) && readFileSync(slaveTopics, "utf8").includes('"E2E_ASYNC"'),
          2 * MINUTE,
          "the slave to copy the topic's config from its master",
        );
        const master = jvmsOf(users()).find((j) => j.user === m("a").user && j.main === "BrokerStartup");
        process.kill(master?.pid as number, "SIGKILL");
        await eventually(
          async () => !(await clusterList(ns, logDir)).some((r) => r.broker === "broker-a" && r.id === 0),
          2 * MINUTE,
          "the NameServer to drop the dead master",
        );

        const r = await cli("async-master-down", [
          "run",
          "runbooks/rocketmq/master-down-async.md",
          "-i",
          inv,
          "--yes",
          "--var",
          "broker=broker-a",
          "--var",
          "topic=E2E_ASYNC",
        ]);
        // While the master was down, its messages were read through the slave.
        const fromSlave = r.out.slice(r.out.indexOf("#read-from-slave"), r.out.indexOf("#master-last-words"));
        for (const body of bodies) expect(fromSlave).toContain(` body ${body}`);
        expect(fromSlave).toMatch(/c \| read \d+ messages of broker-a/);
        // The master is back on its store, the slave caught up, the old messages are still there.
        expect(await clusterList(ns, logDir)).toContainEqual(row("broker-a", 0, aAddr));
        await replicated(ns, [[aAddr, cAddr]]);
        const read = await mqadmin(
          ["consumeMessage", "-n", ns, "-t", "E2E_ASYNC", "-b", "broker-a", "-i", "1", "-c", "10"],
          logDir,
        );
        for (const body of bodies) expect(read).toContain(`BODY: ${body}`);

        // Slaves before masters before the NameServer, all of them stopped; then the stores are gone.
        const down = await cli("async-teardown", [
          "run",
          "runbooks/rocketmq/teardown.md",
          "-i",
          inv,
          "--yes",
          "--confirm",
          "DefaultCluster",
        ]);
        const order = ["#stop-slaves", "#stop-masters", "#stop-nameservers", "#wipe-stores"].map((s) =>
          down.out.indexOf(s),
        );
        expect(order).toEqual([...order].sort((x, y) => x - y));
        expect(order[0]).toBeGreaterThan(-1);
        expect(jvmsOf(users())).toEqual([]);
        expect(existsSync(join(m("c").home, "rocketmq-node", "store"))).toBe(false);
      }),
    20 * MINUTE,
  );

  test(
    "two masters and two slaves, sync: replication; with a slave down sends fail, the health check names it, the runbook recovers",
    () =>
      scenario(async () => {
        const { inv, ns, aAddr, cAddr } = await deployPairs("sync", "E2E_SYNC");

        const slave = jvmsOf(users()).find((j) => j.user === m("c").user && j.main === "BrokerStartup");
        process.kill(slave?.pid as number, "SIGKILL");
        // A send to its master now fails instead of being acknowledged without a copy.
        const send = await mqadmin(
          ["sendMessage", "-n", ns, "-t", "E2E_SYNC", "-b", "broker-a", "-i", "0", "-p", "no-slave"],
          logDir,
        );
        expect(send).not.toContain("SEND_OK");
        expect(send).toMatch(/SLAVE_NOT_AVAILABLE|FLUSH_SLAVE_TIMEOUT|timeout/i);

        const health = await cli(
          "sync-health",
          ["run", "runbooks/rocketmq/health-check.md", "-i", inv, "--yes"],
          1,
        );
        expect(health.out).toContain("c ! FAILED: broker broker-a (brokerId 1) of this machine");
        // Every check ran: the slave's own checks fail, the other slave's replication check (the last
        // step) still passed, and the run ends with the list.
        expect(health.out).toMatch(/d \| OK: replication lag \d+ bytes/);
        expect(health.out).toContain("c ! FAILED: cannot read commitLogMaxOffset");
        expect(health.out).toMatch(
          /run finished: failed: \d checks failed: check-processes, .*check-replication-lag\n/,
        );

        const r = await cli("sync-slave-down", [
          "run",
          "runbooks/rocketmq/slave-down-sync.md",
          "-i",
          inv,
          "--yes",
          "--var",
          "broker=broker-a",
          "--var",
          "test_topic=E2E_SYNC",
        ]);
        expect(r.out).toContain("a | producers of broker-a fail");
        expect(r.out).toMatch(/a \| broker-a\s+0\s+SEND_OK/);
        expect(await clusterList(ns, logDir)).toContainEqual(row("broker-a", 1, cAddr));
        await replicated(ns, [[aAddr, cAddr]]);
      }),
    15 * MINUTE,
  );

  test(
    "README's main job in a terminal: the UI walks through a single master on this machine (shipped local inventory); teardown stops it",
    async () => {
      // This machine's own user, with a home of its own so that ~/.runbook/local/... is the test's.
      const home = join(dir, "main-job-home");
      mkdirSync(home, { recursive: true });
      const mine = () => jvmsUnder(home);
      const runEnv = { ...env, HOME: home };
      const tmux = new Tmux(`runbook-e2e-main-${process.pid}`);
      try {
        // README's command, plus the Maven repository the tests downloaded into (nothing twice).
        tmux.start(
          "main",
          `./runbook run runbooks/rocketmq/single-master.md --var maven_repo=${MAVEN_REPO}`,
          {
            cwd: REPO,
            env: runEnv,
            columns: 100,
            rows: 30,
          },
        );
        let steps = 0;
        for (;;) {
          const screen = await tmux.waitFor(
            "main",
            (x) => /^Enter run · |run finished|run failed|run stopped|EXIT=/m.test(x.text),
            3 * MINUTE,
          );
          if (/run finished ok/.test(screen.text)) break;
          if (!/^Enter run · /m.test(screen.text)) throw new Error(`the main job stopped:\n${screen.text}`);
          const next = /next: (step \d+\/\d+)/.exec(screen.text)?.[1];
          tmux.keys("main", "Enter");
          steps++;
          await tmux.waitFor("main", (x) => !x.text.includes(`next: ${next} `), MINUTE);
        }
        expect(steps).toBeGreaterThan(5);
        tmux.keys("main", "q");
        expect(await tmux.exitCode("main")).toBe(0);
        expect(tmux.capture("main").text).toContain("✓ 31/31 Send and receive a test message");

        // Checked from outside: the broker of this machine, registered on loopback, sends and receives.
        const ns = "127.0.0.1:9876";
        expect(await clusterList(ns, logDir)).toEqual([row("broker-a", 0, "127.0.0.1:10911")]);
        await sendAndReceive(ns, "E2E_MAIN_JOB", ["broker-a"]);
        expect(
          mine()
            .map((j) => j.main)
            .sort(),
        ).toEqual(["BrokerStartup", "NamesrvStartup"]);

        const down = await runbook(
          ["run", "runbooks/rocketmq/teardown.md", "--yes", "--confirm", "DefaultCluster"],
          { env: runEnv, logDir, name: "main-job-teardown" },
        );
        if (down.code !== 0) throw new Error(`teardown exited ${down.code}\n${tail(down)}`);
        expect(mine()).toEqual([]);
        expect(existsSync(join(home, ".runbook", "local", "broker-a", "store"))).toBe(false);
      } catch (e) {
        failed = true;
        throw e;
      } finally {
        tmux.kill();
        for (const j of mine()) process.kill(j.pid, "SIGKILL");
        await eventually(() => mine().length === 0, 15_000, "the main job's JVMs to exit");
      }
    },
    10 * MINUTE,
  );
});
