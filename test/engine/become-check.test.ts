import { describe, expect, test } from "bun:test";
import { Asker } from "../../src/engine/ask.ts";
import { checkBecome } from "../../src/engine/become-check.ts";
import { autoDecisions } from "../../src/engine/decisions.ts";
import type { EngineEvent } from "../../src/engine/events.ts";
import { Masker } from "../../src/engine/masker.ts";
import type { Plan } from "../../src/model/plan.ts";
import type { Transport } from "../../src/transport/transport.ts";
import { mapLimit } from "../../src/util/map-limit.ts";

// The sudo check's decisions over a fake transport (the real sudo is in test/transport/become.test.ts
// and test/cli/become.test.ts): which machines are refused, and never a throw.
const plan = {
  hosts: ["m1", "m2"].map((name) => ({
    name,
    transport: "ssh",
    address: name,
    port: 22,
    become: "svc",
    roles: [],
    vars: {},
  })),
  phases: [],
} as unknown as Plan;

/** sudo asks m1 and m2 for a password; m1 takes `right`, m2 takes none; `broken` machines throw. */
function fake(host: string, right: string, broken: string[] = []): Transport {
  return {
    host,
    async exec(script) {
      if (broken.includes(host)) throw new Error(`lost the connection to ${host}`);
      if (script.includes("exit 10")) return { code: 10, timedOut: false, cancelled: false };
      const accepted = host === "m1" && script.includes(`'${right}'`);
      return { code: accepted ? 0 : 11, timedOut: false, cancelled: false };
    },
    async open() {},
    async upload() {},
    async close() {},
  };
}

function run(password: string | undefined, broken: string[] = []) {
  const events: EngineEvent[] = [];
  const masker = new Masker();
  const asker = new Asker(
    autoDecisions({ who: "t", ...(password ? { becomePassword: password } : {}) }),
    (e) => events.push(e),
  );
  return checkBecome({
    plan,
    asker,
    masker,
    connect: async (h) => fake(h, "pw-right", broken),
    each: (items, f) => mapLimit(items, 4, f),
  }).then((r) => ({ ...r, events, masker }));
}

describe("the sudo check before step 1", () => {
  test("a password that works on one machine and not the other refuses only the other", async () => {
    const r = await run("pw-right");
    expect(r.password).toBeUndefined();
    expect(r.refusals).toEqual([
      { host: "m2", reason: "sudo on m2 refused the password to run commands as svc; nothing was run" },
    ]);
  });

  test("a password too short to mask is refused before it is tried", async () => {
    const r = await run("pw");
    expect(r.refusals.map((x) => x.reason)).toEqual([
      "the sudo password to run commands as svc on m1 is shorter than 3 characters, too short to keep out of the output; nothing was run",
      "the sudo password to run commands as svc on m2 is shorter than 3 characters, too short to keep out of the output; nothing was run",
    ]);
  });

  test("a machine the check cannot reach is a refusal naming it, not an error", async () => {
    const r = await run("pw-right", ["m2"]);
    expect(r.refusals).toEqual([
      { host: "m2", reason: "cannot run commands as svc on m2: lost the connection to m2; nothing was run" },
    ]);
  });
});
