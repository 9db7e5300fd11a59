import { describe, expect, test } from "bun:test";
import { buildPlan } from "../../src/plan/build-plan.ts";
import { askableVariable } from "../../src/plan/missing-variable.ts";
import { MissingValueError } from "../../src/plan/scope.ts";
import { inventory, md, parse, thrown } from "../helpers/fixtures.ts";

const inv = inventory(md`
  vars: { shared: from-inventory }
  hosts:
    w1: { address: 10.0.0.1, roles: [web], vars: { port: 8080 } }
    w2: { address: 10.0.0.2, roles: [web] }
    d1: { address: 10.0.0.3, roles: [db] }
`);

const runbook = (body: string) =>
  parse(
    md`
    ---
    title: Missing values
    roles:
      web:
      db:
        vars: { role_value: "7" }
    vars:
      region: { describe: "where", choices: [eu, us] }
      port: { describe: "per machine" }
      shared: { describe: "inventory-wide" }
      role_value: { describe: "set by a role" }
      token: { secret: true }
      unused: { describe: "never used" }
    ---

    # P

  ` + body,
  );

describe("a variable without a value", () => {
  test("planning reports it as a MissingValueError naming the variable and the machine", () => {
    const e = thrown(() => buildPlan(runbook("## S\n~~~sh {on=web}\necho {{ region }}\n~~~\n"), inv));
    expect(e).toBeInstanceOf(MissingValueError);
    expect((e as MissingValueError).variable).toBe("region");
    expect((e as MissingValueError).host).toBe("w1");
    expect((e as MissingValueError).message).toBe("variable region has no value on machine w1");
  });

  test("one that nothing gives a value anywhere may be asked for; with that value the plan builds", () => {
    const rb = runbook("## S\n~~~sh {on=web}\necho {{ region }}\n~~~\n");
    const decl = askableVariable(
      thrown(() => buildPlan(rb, inv)),
      rb,
      inv,
    );
    expect(decl?.name).toBe("region");
    expect(decl?.choices).toEqual(["eu", "us"]);
    const plan = buildPlan(rb, inv, { vars: { region: "eu" } });
    expect(plan.overrides).toEqual({ region: "eu" });
  });

  test("one that some machines have (a per-machine port) is not asked for: one answer would override them", () => {
    const rb = runbook("## S\n~~~sh {on=web}\necho {{ port }}\n~~~\n");
    const e = thrown(() => buildPlan(rb, inv));
    expect((e as MissingValueError).host).toBe("w2");
    expect(askableVariable(e, rb, inv)).toBeUndefined();
  });

  test("a variable unused by any action never stops planning, so it is never asked for", () => {
    const plan = buildPlan(runbook("## S\n~~~sh {on=web}\necho hi\n~~~\n"), inv);
    expect(plan.hosts[0]?.vars).not.toHaveProperty("unused");
  });

  test("other planning errors are not variables to ask for", () => {
    const rb = runbook("## S\n~~~sh {on=web}\necho {{ region }}\n~~~\n");
    const e = thrown(() => buildPlan(rb, inv, { vars: { region: "mars" } }));
    expect(e).not.toBeInstanceOf(MissingValueError);
    expect(askableVariable(e, rb, inv)).toBeUndefined();
    expect(askableVariable(new Error("x"), rb, inv)).toBeUndefined();
  });
});
