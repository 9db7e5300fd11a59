import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadRunbook } from "../../src/format/load-runbook.ts";
import { parseInventory } from "../../src/inventory/load-inventory.ts";
import { buildPlan } from "../../src/plan/build-plan.ts";
import { renderPlanText } from "../../src/report/plan-text.ts";
import { makeStyle } from "../../src/report/style.ts";

const REPO = join(import.meta.dir, "..", "..");
const DEPLOY = [
  "single-master",
  "multi-master",
  "two-masters-two-slaves-async",
  "two-masters-two-slaves-sync",
];

/** runbook, inventory, --var values: the deployments against both inventories, the on-call runbooks once. */
const CASES: [string, string, Record<string, string>][] = [
  ...DEPLOY.flatMap((rb) => [
    [rb, "local", {}] as [string, string, Record<string, string>],
    [rb, "example", {}] as [string, string, Record<string, string>],
  ]),
  ["health-check", "example", {}],
  ["teardown", "example", {}],
  ["master-down-async", "example", { broker: "broker-a" }],
  ["slave-down-sync", "example", { broker: "broker-b" }],
  ["restart-master", "local", { broker: "broker-a" }],
  ["rolling-restart", "example", {}],
  ["controller-mode", "example", {}],
  ["master-down-controller", "example", { broker: "broker-a", down_id: "0" }],
];

/**
 * The reviewed plan of every shipped runbook, as text. A change to a runbook, the planner or the review
 * shows up here as a diff to read; regenerate on purpose with UPDATE_GOLDEN=1 bun test test/plan/golden.test.ts.
 */
describe("golden plans", () => {
  for (const [rb, inv, vars] of CASES) {
    test(`${rb} with the ${inv} inventory`, () => {
      const invPath = join(REPO, "runbooks", "inventories", `${inv}.yaml`);
      // The local inventory's user is whoever runs the tests; pin it so the golden file is the same everywhere.
      const inventory = parseInventory(invPath, readFileSync(invPath, "utf8"));
      for (const h of inventory.hosts) if (h.transport === "local") h.user = "operator";
      const plan = buildPlan(loadRunbook(join(REPO, "runbooks", "rocketmq", `${rb}.md`)), inventory, {
        vars,
      });
      const text = renderPlanText(plan, makeStyle(false), REPO).replace(
        /^ {2}plan hash .*$/m,
        "  plan hash  (not pinned)",
      );
      const golden = join(import.meta.dir, "golden", `${rb}.${inv}.txt`);
      if (process.env.UPDATE_GOLDEN) writeFileSync(golden, text);
      expect(existsSync(golden)).toBe(true);
      expect(text).toBe(readFileSync(golden, "utf8"));
    });
  }
});
