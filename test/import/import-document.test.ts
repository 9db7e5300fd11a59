// runbook import: the seed document and documents of other shapes, against golden files
// (UPDATE_GOLDEN=1 regenerates them), read back with the project's parser and planned.

import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { readFromDisk } from "../../src/format/load-runbook.ts";
import { parseRunbook } from "../../src/format/parse-runbook.ts";
import { formatFindings, importDocument } from "../../src/import/import-document.ts";
import { loadInventory } from "../../src/inventory/load-inventory.ts";
import type { PlannedShell } from "../../src/model/plan.ts";
import type { Runbook } from "../../src/model/runbook.ts";
import { buildPlan } from "../../src/plan/build-plan.ts";
import { REPO } from "../cli/run-cli.ts";

const FIXTURES = join(import.meta.dir, "fixtures");
const GOLDEN = join(import.meta.dir, "golden");
const SEED = "rocketmq-cluster-modes.seed.md";
/** The seed's machines as the example inventory's roles (docs/import.md). */
const SEED_ROLES = ["A=broker-a", "B=broker-b", "C=broker-a-s", "D=broker-b-s", "NameServer=nameserver"];

function imported(name: string, roles: string[] = []) {
  const file = join(FIXTURES, name);
  const output = join(FIXTURES, name.replace(/\.md$/, ".runbook.md"));
  const result = importDocument(file, readFileSync(file, "utf8"), { output, roles });
  return { ...result, output };
}

/** The runbook read back by the real parser (includes from beside it, as `runbook check` would). */
function parsed(name: string, roles: string[] = []): Runbook {
  const { runbook, output } = imported(name, roles);
  return parseRunbook(output, (p) => (p === output ? runbook : readFromDisk(p)));
}

function golden(file: string, actual: string): void {
  const path = join(GOLDEN, file);
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, "utf8"));
}

const CASES: [string, string[]][] = [
  [SEED, SEED_ROLES],
  ["english-numbered-steps.md", []],
  ["readme-quick-start.md", []],
  ["gitbook-hint-table.md", []],
];

describe("runbook import, against golden files", () => {
  for (const [name, roles] of CASES) {
    test(`${name}: the runbook and what was and was not inferred`, () => {
      const { runbook, findings } = imported(name, roles);
      const stem = name.replace(/\.md$/, "");
      golden(`${stem}.md`, runbook);
      golden(`${stem}.report.txt`, formatFindings(findings, basename(name)));
      expect(() => parsed(name, roles)).not.toThrow();
    });
  }
});

describe("the imported seed, planned against the example inventory", () => {
  const runbook = parsed(SEED, SEED_ROLES);
  const plan = buildPlan(runbook, loadInventory(join(REPO, "runbooks/inventories/example.yaml")));
  const shells = (phase: string) =>
    plan.phases
      .filter((p) => p.title.includes(phase))
      .flatMap((p) => p.steps)
      .flatMap((s) =>
        s.targets.flatMap((t) => t.actions.map((a) => ({ host: t.host, a: a as PlannedShell }))),
      );

  test("the description is the summary, the title the first heading", () => {
    expect(runbook.title).toBe("RocketMQ集群搭建");
    expect(runbook.summary).toBe("RocketMQ四种不同的集群搭建方式");
    expect(runbook.vars.find((v) => v.name === "namesrv_addr")?.default).toBe("192.168.1.1:9876");
    // The directory the document cds into (with its version placeholder) is one variable too.
    expect(runbook.vars.find((v) => v.name === "workdir")?.default).toBe(
      "rocketmq/distribution/target/rocketmq-4.5.x/rocketmq-4.5.x",
    );
  });

  test("the NameServer starts in the background on the nameserver machine, waiting for its boot line", () => {
    for (const mode of ["多Master模式", "异步复制", "同步双写"]) {
      const starts = shells(mode).filter(({ a }) => a.command.includes("mqnamesrv"));
      expect(starts.map((s) => s.host)).toEqual(["nameserver"]);
      const { a } = starts[0] as { a: PlannedShell };
      expect(a.background).toBe(true);
      expect(a.wait?.kind).toBe("log");
      expect(a.wait?.target).toBe("~/logs/rocketmqlogs/namesrv.log");
      const line = "The Name Server boot success. serializeType=JSON, address 0.0.0.0:9876";
      expect(new RegExp(a.wait?.pattern ?? "^$").test(line)).toBe(true);
    }
  });

  const brokers: [string, string, Record<string, string>][] = [
    ["多Master模式", "2m-noslave", { a: "broker-a", b: "broker-b" }],
    ["异步复制", "2m-2s-async", { a: "broker-a", b: "broker-b", c: "broker-a-s", d: "broker-b-s" }],
    ["同步双写", "2m-2s-sync", { a: "broker-a", b: "broker-b", c: "broker-a-s", d: "broker-b-s" }],
  ];
  for (const [mode, conf, machines] of brokers) {
    test(`${conf}: each broker on the machine the document names, with that mode's -c config`, () => {
      const started = shells(mode).filter(({ a }) => a.command.includes("mqbroker"));
      const byHost = Object.fromEntries(
        started.map(({ host, a }) => [
          host,
          /-c \.\/conf\/([\w-]+)\/([\w-]+)\.properties/.exec(a.command)?.slice(1),
        ]),
      );
      expect(byHost).toEqual(Object.fromEntries(Object.entries(machines).map(([h, b]) => [h, [conf, b]])));
      for (const { a } of started) {
        expect(a.background).toBe(true);
        expect(a.command).toContain("-n 192.168.1.1:9876");
      }
    });
  }

  test("the NameServer address is one variable: --var moves every broker to another", () => {
    const moved = buildPlan(runbook, loadInventory(join(REPO, "runbooks/inventories/example.yaml")), {
      vars: { namesrv_addr: "10.9.9.9:9876" },
    });
    const cmds = moved.phases.flatMap((p) => p.steps.flatMap((s) => s.targets.flatMap((t) => t.actions)));
    const brokerCmds = cmds.filter((a) => a.kind === "shell" && a.command.includes("mqbroker"));
    expect(brokerCmds.length).toBe(10);
    for (const a of brokerCmds) expect((a as PlannedShell).command).toContain("-n 10.9.9.9:9876");
  });
});

describe("other shapes", () => {
  test("an expected line with regular-expression characters is waited for as itself", () => {
    const rb = parsed("english-numbered-steps.md");
    const actions = rb.phases.flatMap((p) => p.steps.flatMap((s) => s.actions));
    const serve = actions.find((a) => a.kind === "shell" && a.background);
    expect(serve?.kind === "shell" && serve.wait).toEqual({
      kind: "log",
      target: "/var/log/orders.log",
      pattern: "Listening on :8080 \\(orders v1\\.4\\.2\\)",
    });
    const health = actions.find((a) => a.kind === "shell" && a.command.includes("health"));
    expect(health?.kind === "shell" && health.expect).toBe('\\{"status":"UP"\\}');
  });

  test("a page-ref to a page beside the document is included; the vim step stays manual", () => {
    const rb = parsed("gitbook-hint-table.md");
    const steps = rb.phases.flatMap((p) => p.steps);
    expect(steps.map((s) => s.title)).toContain("Prerequisites");
    const verify = steps.find((s) => s.title === "Verify replication");
    expect(verify?.actions).toEqual([]);
    expect(verify?.notes.map((n) => n.text).join(" ")).toContain("placeholder");
  });

  test("a document that names no machine gets one role, host, for every command", () => {
    const rb = parsed("readme-quick-start.md");
    expect(rb.roles.map((r) => r.name)).toEqual(["host"]);
    const actions = rb.phases.flatMap((p) => p.steps.flatMap((s) => s.actions));
    expect(new Set(actions.map((a) => a.on.join(",")))).toEqual(new Set(["host"]));
    const mapped = parsed("readme-quick-start.md", ["host=app"]);
    expect(mapped.roles.map((r) => r.name)).toEqual(["app"]);
  });
});
