import { describe, expect, test } from "bun:test";
import { buildPlan } from "../../src/plan/build-plan.ts";
import { renderPlanText } from "../../src/report/plan-text.ts";
import { makeStyle } from "../../src/report/style.ts";
import { inventory, md, parse } from "../helpers/fixtures.ts";
import { planStep } from "../helpers/plan.ts";

const INV = md`
  hosts:
    a1: { address: 10.0.0.1, roles: [app] }
    a2: { address: 10.0.0.2, roles: [app], vars: { skip: "yes" } }
    a3: { address: 10.0.0.3, roles: [app] }
    a4: { address: 10.0.0.4, roles: [app] }
    a5: { address: 10.0.0.5, roles: [app] }
    ns: { address: 10.0.0.9, roles: [ns] }
`;

function plan(attrs: string, when = "") {
  const text = md`
    ---
    title: Rollout plan
    roles: [app, ns]
    vars:
      skip: { default: "no" }
    ---

    # Phase

    ## Restart {#restart}

    ~~~sh {on=app ${attrs} ${when}}
    restart
    ~~~

    ## Check {#check}

    ~~~sh {on=ns risk=read}
    check
    ~~~
  `;
  return buildPlan(parse(text), inventory(INV));
}

describe("planned rollouts", () => {
  test("serial= as a share rounds up to whole machines (at least one); max-fail= as a share rounds down", () => {
    const r = planStep(plan("serial=40% max-fail=30%"), "restart").rollout;
    expect(r?.batches).toEqual([["a1", "a2"], ["a3", "a4"], ["a5"]]);
    expect(r?.maxFail).toBe(1);
    expect(planStep(plan("serial=1%"), "restart").rollout?.batches).toHaveLength(5);
    expect(planStep(plan("serial=2"), "restart").rollout?.maxFail).toBe(0);
  });

  test("batches hold the machines the step acts on, after when=", () => {
    const p = plan("serial=2", "when=\"skip != 'yes'\"");
    expect(planStep(p, "restart").rollout?.batches).toEqual([
      ["a1", "a3"],
      ["a4", "a5"],
    ]);
  });

  test("the gate step is marked as such, and the plan text says how the step goes out", () => {
    const p = plan("serial=2 max-fail=1 pause=30s gate=check");
    expect(planStep(p, "check").gateOf).toBe("restart");
    const text = renderPlanText(p, makeStyle(false));
    expect(text).toContain("rolled out in 3 batches: a1, a2 | a3, a4 | a5");
    expect(text).toContain("goes on while at most 1 machine failed; one more stops it before the next batch");
    expect(text).toContain("after each batch: step check, which must pass before the rollout goes on");
    expect(text).toContain("a pause of 30s before each next batch");
    expect(text).toContain("the gate of step restart: runs after each of its batches");
    expect(renderPlanText(plan("serial=5"), makeStyle(false))).toContain(
      "the first failed machine stops the rollout before the next batch",
    );
  });
});
