import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Journal, listRuns } from "../../src/engine/journal.ts";
import type { Plan } from "../../src/model/plan.ts";

const root = mkdtempSync(join(tmpdir(), "runbook-journal-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the runs of a state directory", () => {
  test("are listed in the order they started, also two started in the same second", () => {
    const plan = { hash: "h" } as unknown as Plan;
    // Same second: the ids differ only by their random end, which says nothing about which came first.
    const first = new Journal(root, "20261201-101500-deploy-ffff", plan);
    first.close();
    const second = new Journal(root, "20261201-101500-deploy-0000", plan);
    second.close();
    const older = new Journal(root, "20261201-101459-deploy-9999", plan);
    older.close();
    const t = Date.now() / 1000;
    utimesSync(join(root, "runs", "20261201-101459-deploy-9999", "plan.json"), t - 60, t - 60);
    utimesSync(join(root, "runs", "20261201-101500-deploy-ffff", "plan.json"), t - 2, t - 2);
    utimesSync(join(root, "runs", "20261201-101500-deploy-0000", "plan.json"), t - 1, t - 1);
    expect(listRuns(root)).toEqual([
      "20261201-101459-deploy-9999",
      "20261201-101500-deploy-ffff",
      "20261201-101500-deploy-0000",
    ]);
  });
});
