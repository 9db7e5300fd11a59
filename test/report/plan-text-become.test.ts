import { describe, expect, test } from "bun:test";
import { buildPlan } from "../../src/plan/build-plan.ts";
import { renderPlanText } from "../../src/report/plan-text.ts";
import { makeStyle } from "../../src/report/style.ts";
import { inventory, md, parse } from "../helpers/fixtures.ts";

const RUNBOOK = md`
  ---
  title: Become in the plan
  roles: [app]
  ---

  # Phase

  ## Restart {#restart}

  ~~~sh {on=app as=svc}
  restart
  ~~~

  ## Who {#who}

  ~~~sh {on=app}
  id -un
  ~~~
`;

describe("who each command runs as, in the plan text", () => {
  test("machines that run as different users are shown apart, each action saying its own user", () => {
    const inv = inventory(md`
      hosts:
        m1: { address: 10.0.0.1, user: ops, become: svc, roles: [app] }
        m2: { address: 10.0.0.2, user: ops, roles: [app] }
    `);
    const text = renderPlanText(buildPlan(parse(RUNBOOK), inv), makeStyle(false));
    const restart = text.slice(text.indexOf("Restart"), text.indexOf("Who  #who"));
    // m1 runs as svc anyway; m2's action says so, since its machine runs as the login.
    expect(restart).toContain("on m1 (10.0.0.1):\n       $ restart\n         timeout 10m");
    expect(restart).toContain("on m2 (10.0.0.2):\n       $ restart\n         as svc · timeout 10m");
    const who = text.slice(text.indexOf("Who  #who"));
    // Without as=, each runs as its machine does: the machines' lines say which.
    expect(who).toContain("on m1 (10.0.0.1):\n       $ id -un\n         timeout 10m");
    expect(who).toContain("on m2 (10.0.0.2):\n       $ id -un\n         timeout 10m");
    expect(text).toMatch(/m1 +ops@10\.0\.0\.1:22 +roles: app {2}runs as svc\n/);
    expect(text).toMatch(/m2 +ops@10\.0\.0\.2:22 +roles: app\n/);
  });
});
