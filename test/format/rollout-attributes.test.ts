import { describe, expect, test } from "bun:test";
import { errorsOf, lineOf, md, parse, where } from "../helpers/fixtures.ts";

const FRONT = md`
  ---
  title: Rollouts
  roles: [app, ns]
  ---

  # Phase
`;

function step(attrs: string, extra = ""): string {
  return `${FRONT}\n## Restart {#restart}\n\n~~~sh {on=app ${attrs}}\nrestart\n~~~\n${extra}`;
}

const CHECK = "\n## Check {#check}\n\n~~~sh {on=ns risk=read}\ncheck\n~~~\n";

describe("rollout attributes", () => {
  test("serial=, max-fail=, pause= and gate= give the step its rollout", () => {
    const rb = parse(step("serial=25% max-fail=1 pause=30s gate=check", CHECK));
    const restart = rb.phases[0]?.steps[0];
    expect(restart?.rollout).toMatchObject({
      serial: { percent: 25 },
      maxFail: { count: 1 },
      pauseMs: 30_000,
      gate: "check",
    });
    expect(rb.phases[0]?.steps[1]?.rollout).toBeUndefined();
  });

  test("bad values are errors naming the attribute's place and the fix", () => {
    const text = step("serial=0 max-fail=lots pause=soon gate=!x");
    const errors = errorsOf(() => parse(text));
    expect(errors.map((e) => e.message)).toEqual([
      "serial=0 is not a number of machines from 1 or a share such as 25%",
    ]);
    const more = errorsOf(() => parse(step("serial=2 max-fail=lots pause=soon gate=!x")));
    expect(more.map((e) => e.message)).toEqual([
      "max-fail=lots is not a number of machines or a share such as 25%",
      "pause=soon is not a duration",
      "gate=!x is not a step id",
    ]);
    expect(more.every((e) => e.pos?.line === lineOf(text, "~~~sh {on=app"))).toBe(true);
    expect(errorsOf(() => parse(step("serial=150%")))[0]?.hint).toBe("write serial=2 or serial=25%");
  });

  test("max-fail=, pause= or gate= without serial= is an error, not a silent no-op", () => {
    const [e] = errorsOf(() => parse(step("max-fail=1")));
    expect(e?.message).toBe("max-fail= applies to a rollout, and this action has no serial=");
    expect(e?.hint).toContain("add serial=");
  });

  test("a step's rollout is given once: a second action with one is an error naming the first", () => {
    const text = `${step("serial=1")}\n~~~sh {on=app serial=2}\nagain\n~~~\n`;
    const [e] = errorsOf(() => parse(text));
    expect(e?.message).toBe(
      `the rollout of step restart is already given on line ${lineOf(text, "serial=1")}`,
    );
    expect(where(e as never)).toContain(`:${lineOf(text, "serial=2")}:`);
  });

  test("the gate must be a read-only step after the rollout, gating it alone", () => {
    const msg = (text: string) => errorsOf(() => parse(text)).map((e) => e.message);
    expect(msg(step("serial=1 gate=nope"))).toEqual([
      "step restart: gate=nope names no step of this runbook",
    ]);
    const before = `${FRONT}${CHECK}\n## Restart {#restart}\n\n~~~sh {on=app serial=1 gate=check}\nrestart\n~~~\n`;
    expect(msg(before)[0]).toContain("its gate check comes before it");
    const changing = step("serial=1 gate=check", "\n## Check {#check}\n\n~~~sh {on=ns}\nfix\n~~~\n");
    expect(msg(changing)[0]).toContain("is not read-only (risk change)");
    const again = "\n## Again {#again}\n\n~~~sh {on=app serial=1 gate=check}\nx\n~~~\n";
    expect(msg(step("serial=1 gate=check", again + CHECK))).toEqual([
      "step again: check is already the gate of step restart",
    ]);
  });

  test("rollback blocks take no rollout attributes", () => {
    const [e] = errorsOf(() => parse(`${step("serial=1")}\n~~~rollback {on=app serial=1}\nundo\n~~~\n`));
    expect(e?.message).toBe('unknown attribute "serial" on a rollback block');
  });
});
