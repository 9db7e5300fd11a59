import { describe, expect, test } from "bun:test";
import { machineIdentity } from "../../src/engine/machine-identity.ts";
import { buildPlan } from "../../src/plan/build-plan.ts";
import { renderPlanText } from "../../src/report/plan-text.ts";
import { makeStyle } from "../../src/report/style.ts";
import { inventory, md, parse } from "../helpers/fixtures.ts";

const RUNBOOK = md`
  ---
  title: Route
  roles: [db]
  ---

  # Phase

  ## Look

  \`\`\`sh {on=db}
  uptime
  \`\`\`
`;

const INV = md`
  hosts:
    bastion1: { address: 10.0.0.5, user: ops }
    bastion2: { address: 10.1.0.5, user: ops, jump: bastion1 }
    db1: { address: 10.0.0.9, user: mq, roles: [db], jump: bastion1 }
    db2: { address: 10.0.0.9, user: mq, roles: [db], jump: bastion2 }
    db3: { address: 10.0.0.8, user: mq, roles: [db] }
`;

describe("a machine reached through jump hosts", () => {
  const plan = buildPlan(parse(RUNBOOK), inventory(INV));

  test("the plan carries its route, first hop first; bastions without a role are not machines of the plan", () => {
    expect(plan.hosts.map((h) => [h.name, h.via?.map((j) => `${j.user}@${j.address}:${j.port}`)])).toEqual([
      ["db1", ["ops@10.0.0.5:22"]],
      ["db2", ["ops@10.0.0.5:22", "ops@10.1.0.5:22"]],
      ["db3", undefined],
    ]);
  });

  test("runbook plan shows the route", () => {
    const text = renderPlanText(plan, makeStyle(false));
    expect(text).toContain("db1          mq@10.0.0.9:22 via bastion1");
    expect(text).toContain("db2          mq@10.0.0.9:22 via bastion1 → bastion2");
    expect(text).toMatch(/db3 +mq@10\.0\.0\.8:22 +roles: db/);
    expect(text).toContain(
      "on db1 (10.0.0.9 via bastion1), db2 (10.0.0.9 via bastion1 → bastion2), db3 (10.0.0.8):",
    );
  });

  test("the same address behind two bastions is two machines (lock identity), and the route is in the plan hash", () => {
    const [db1, db2] = plan.hosts;
    expect(db1 && db2 && machineIdentity(db1)).not.toBe(db2 && machineIdentity(db2));
    const direct = buildPlan(parse(RUNBOOK), inventory(INV.replace("[db], jump: bastion1 }", "[db] }")));
    expect(direct.hosts[0]?.via).toBeUndefined();
    expect(machineIdentity(direct.hosts[0] as (typeof plan.hosts)[0])).toBe("ssh:mq@10.0.0.9:00022");
    expect(direct.hash).not.toBe(plan.hash);
  });
});
