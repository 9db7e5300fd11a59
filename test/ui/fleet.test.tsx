import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { cleanup } from "ink-testing-library";
import type { EngineEvent } from "../../src/engine/events.ts";
import { AT, hostFinished, runStarted, stepStarted } from "./events.ts";
import { planOf, renderApp, stepOf } from "./render-app.tsx";

setDefaultTimeout(30_000);
afterEach(() => cleanup());

const MACHINES = 200;
const names = Array.from({ length: MACHINES }, (_, i) => `web${String(i + 1).padStart(3, "0")}`);
const inventory = `hosts:\n${names.map((n) => `  ${n}: { transport: local, roles: [web] }`).join("\n")}\n`;
const runbook = `---
title: Fleet
roles: [web]
---

# Roll out

## Restart the service {#restart}

\`\`\`sh {on=web}
systemctl restart app
\`\`\`
`;

/** 200 machines: 149 finished, three of them failed (far apart in the inventory), 51 still running. */
function fleetEvents(): EngineEvent[] {
  const plan = planOf(runbook, inventory);
  const step = stepOf(plan, "restart");
  const failed = new Set(["web040", "web120", "web199"]);
  return [
    runStarted(plan),
    { type: "decision", at: AT, stepId: "restart", decision: { kind: "run" }, by: "tester" },
    ...stepStarted(step),
    ...[...names.slice(0, 148), "web199"].map((h) =>
      failed.has(h) ? hostFinished(step, h, "failed", 1) : hostFinished(step, h, "ok", 0),
    ),
  ];
}

describe("a fleet on an 80x24 screen", () => {
  test("the machines are counted by status, failed first, and f visits each failed machine", async () => {
    const plan = planOf(runbook, inventory);
    const app = renderApp(plan);
    for (const e of fleetEvents()) app.store.push(e);
    const f = await app.waitFor("✗ 3 failed");
    expect(f).toContain("200 machines: ✗ 3 failed · ▶ 51 running · ✓ 146 ok");
    // The failed machines come first in the rows, the selected one (the first failed) among them.
    expect(f).toMatch(/▸✗ web040 +failed/);
    expect(f).toContain("failed first (Tab moves, f next failed)");
    expect(f).toContain("f next failed");
    await app.press("f");
    expect(await app.waitFor((x) => /▸✗ web120/.test(x))).toContain("output of web120");
    await app.press("f");
    await app.waitFor((x) => /▸✗ web199/.test(x));
    await app.press("f");
    await app.waitFor((x) => /▸✗ web040/.test(x));
  });
});
