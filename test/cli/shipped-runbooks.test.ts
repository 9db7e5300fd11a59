import { describe, expect, test } from "bun:test";
import type { Plan, PlannedFile } from "../../src/model/plan.ts";
import { REPO, runCli } from "./run-cli.ts";

const ASYNC = "runbooks/rocketmq/two-masters-two-slaves-async.md";
const EXAMPLE = "runbooks/inventories/example.yaml";

/** The properties file a step writes on one machine, as key -> value. */
function brokerConfig(plan: Plan, host: string): Record<string, string> {
  const step = plan.phases.flatMap((p) => p.steps).find((s) => s.id === "write-broker-config");
  const file = step?.targets.find((t) => t.host === host)?.actions.find((a) => a.kind === "file") as
    | PlannedFile
    | undefined;
  if (!file) throw new Error(`no broker config for ${host}`);
  return Object.fromEntries(
    file.content
      .split("\n")
      .filter((l) => l.includes("=") && !l.startsWith("#"))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

describe("the shipped runbooks", () => {
  const ALL = [
    "controller-mode",
    "health-check",
    "install",
    "master-down-async",
    "master-down-controller",
    "multi-master",
    "proxy",
    "restart-master",
    "rolling-restart",
    "single-master",
    "slave-down-sync",
    "teardown",
    "two-masters-two-slaves-async",
    "two-masters-two-slaves-sync",
  ];

  test("runbook check with no arguments checks every shipped runbook, and they all pass", () => {
    const r = runCli(["check"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    for (const name of ALL) expect(r.stdout).toContain(`ok    runbooks/rocketmq/${name}.md`);
    expect(r.stdout).toContain(`${ALL.length} ok, 0 with problems`);
    // Fragments and READMEs are not runbooks of their own.
    expect(r.stdout).not.toContain("fragments/");
    expect(r.stdout).not.toContain("README");
  }, 30_000);

  test("a directory stands for the runbooks under it; the deployments also plan against both inventories", () => {
    expect(runCli(["check", "runbooks/rocketmq"]).stdout).toContain(`${ALL.length} ok, 0 with problems`);
    const deployments = ALL.filter((n) => /^(single|multi|two)-master/.test(n)).map(
      (n) => `runbooks/rocketmq/${n}.md`,
    );
    expect(deployments).toHaveLength(4);
    for (const inv of ["runbooks/inventories/local.yaml", EXAMPLE]) {
      const r = runCli([
        "check",
        ...deployments,
        "runbooks/rocketmq/health-check.md",
        "runbooks/rocketmq/teardown.md",
        "runbooks/rocketmq/install.md",
        "-i",
        inv,
      ]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("7 ok, 0 with problems");
    }
  }, 20_000);

  test("an on-call runbook planned without the broker it is about names the variable and how to give it", () => {
    const r = runCli(["check", "runbooks/rocketmq/master-down-async.md", "-i", EXAMPLE]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("variable broker has no value");
    expect(r.stderr).toContain("--var broker=");
    const given = runCli([
      "check",
      "runbooks/rocketmq/master-down-async.md",
      "-i",
      EXAMPLE,
      "--var",
      "broker=broker-a",
    ]);
    expect(given.code).toBe(0);
  }, 20_000);

  test("the async review shows four brokers on machines A-D with brokerName, brokerId, brokerRole and a rollback each", () => {
    const r = runCli(["plan", ASYNC, "-i", EXAMPLE]);
    expect(r.code).toBe(0);
    const text = r.stdout;
    const review = text.slice(text.indexOf("Write the broker configuration"));
    const expected = [
      ["a", "192.168.1.2", "broker-a", "0", "ASYNC_MASTER", "~/rocketmq-node"],
      ["b", "192.168.1.3", "broker-b", "0", "ASYNC_MASTER", "~/rocketmq-node"],
      ["c", "192.168.1.4", "broker-a", "1", "SLAVE", "~/rocketmq-node"],
      // Machine d keeps everything on its data disk (a per-machine variable of the example inventory).
      ["d", "192.168.1.5", "broker-b", "1", "SLAVE", "/data/rocketmq"],
    ];
    for (const [host, address, name, id, role, base] of expected) {
      const at = review.indexOf(`on ${host} (${address} via bastion):`);
      expect(at).toBeGreaterThan(-1);
      const next = review.indexOf("\n     on ", at + 1);
      const block = review.slice(at, Math.min(next < 0 ? Infinity : next, review.indexOf("\n\n", at)));
      expect(block).toContain(`write ${base}/conf/broker.properties`);
      expect(block).toContain(`brokerName=${name}\n`);
      expect(block).toContain(`brokerId=${id}\n`);
      expect(block).toContain(`brokerRole=${role}\n`);
      expect(block).toContain(`brokerIP1=${address}\n`);
      expect(block).toContain(`rollback $ rm -f ${base}/conf/broker.properties`);
    }
  });

  test("--json carries the same: the four broker configs and a rollback for every machine of every changing step", () => {
    const r = runCli(["plan", ASYNC, "-i", EXAMPLE, "--json"]);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as Plan;
    expect(plan.hosts.map((h) => h.name)).toEqual(["nameserver", "a", "b", "c", "d"]);
    expect(brokerConfig(plan, "a")).toMatchObject({
      brokerName: "broker-a",
      brokerId: "0",
      brokerRole: "ASYNC_MASTER",
      brokerIP1: "192.168.1.2",
      namesrvAddr: "192.168.1.1:9876",
    });
    expect(brokerConfig(plan, "b")).toMatchObject({
      brokerName: "broker-b",
      brokerId: "0",
      brokerRole: "ASYNC_MASTER",
      brokerIP1: "192.168.1.3",
    });
    expect(brokerConfig(plan, "c")).toMatchObject({
      brokerName: "broker-a",
      brokerId: "1",
      brokerRole: "SLAVE",
      slaveReadEnable: "true",
    });
    expect(brokerConfig(plan, "d")).toMatchObject({
      brokerName: "broker-b",
      brokerId: "1",
      brokerRole: "SLAVE",
      slaveReadEnable: "true",
    });
    // Every step that changes a machine has a rollback on each machine it touches, except the test
    // message, which cannot be unsent (its topic's rollback removes it).
    for (const step of plan.phases.flatMap((p) => p.steps)) {
      if (step.risk === "read" || step.skipped || step.id === "send-receive-test-message") continue;
      for (const t of step.targets)
        expect({ step: step.id, host: t.host, rollbacks: t.rollback.length > 0 }).toEqual({
          step: step.id,
          host: t.host,
          rollbacks: true,
        });
    }
  });

  test("the sync runbook makes the masters SYNC_MASTER", () => {
    const r = runCli(["plan", "runbooks/rocketmq/two-masters-two-slaves-sync.md", "-i", EXAMPLE, "--json"]);
    const plan = JSON.parse(r.stdout) as Plan;
    expect(brokerConfig(plan, "a").brokerRole).toBe("SYNC_MASTER");
    expect(brokerConfig(plan, "c").brokerRole).toBe("SLAVE");
  });

  test("controller mode: no broker chooses its id or role, every one knows the controllers; standalone controllers get their own config", () => {
    const embedded = JSON.parse(
      runCli(["plan", "runbooks/rocketmq/controller-mode.md", "-i", EXAMPLE, "--json"]).stdout,
    ) as Plan;
    for (const host of ["a", "b", "c", "d"]) {
      expect(brokerConfig(embedded, host)).toMatchObject({
        brokerId: "-1",
        enableControllerMode: "true",
        allAckInSyncStateSet: "true",
        minInSyncReplicas: "1",
        slaveReadEnable: "true",
      });
      // Worked out on the machines by the run (#controller-addresses), shown as such in the plan.
      expect(brokerConfig(embedded, host).controllerAddr).toBe("⟨controller_addr|raw⟩");
    }
    const steps = (plan: Plan) => plan.phases.flatMap((p) => p.steps).filter((x) => !x.skipped);
    const targets = (plan: Plan, id: string) =>
      steps(plan)
        .find((x) => x.id === id)
        ?.targets.filter((t) => t.actions.length > 0)
        .map((t) => t.host) ?? [];
    // Embedded: the NameServer machine prepares the controller and writes no controller.properties.
    expect(targets(embedded, "controller-settings")).toEqual(["nameserver"]);
    expect(targets(embedded, "write-controller-config")).toEqual([]);
    const standalone = JSON.parse(
      runCli([
        "plan",
        "runbooks/rocketmq/controller-mode.md",
        "-i",
        EXAMPLE,
        "--var",
        "controller_deploy=standalone",
        "--json",
      ]).stdout,
    ) as Plan;
    expect(targets(standalone, "controller-settings")).toEqual([]);
  }, 20_000);

  test("a reader that goes away early (| head) ends the program quietly", () => {
    const proc = Bun.spawnSync(["bash", "-c", `bun src/cli/main.ts plan ${ASYNC} | head -n 1`], {
      cwd: REPO,
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(proc.stdout.toString()).toBe("Plan: RocketMQ, two masters and two slaves, async replication\n");
    expect(proc.stderr.toString()).toBe("");
  });
});
