import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runbookHome } from "../../src/util/runbook-home.ts";

const dir = mkdtempSync(join(tmpdir(), "runbook-home-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("where the shipped runbooks are", () => {
  test("RUNBOOK_HOME wins; from the sources, the checkout", () => {
    expect(runbookHome({ RUNBOOK_HOME: dir })).toBe(dir);
    expect(runbookHome({})).toBe(resolve(import.meta.dir, "..", ".."));
  });

  test("the compiled binary: beside it, or its parent (dist/runbook in a checkout), not the file system's root", () => {
    const inside = "/$bunfs/root/src/util";
    mkdirSync(join(dir, "checkout", "runbooks"), { recursive: true });
    mkdirSync(join(dir, "checkout", "dist"), { recursive: true });
    expect(runbookHome({}, { execPath: join(dir, "checkout", "dist", "runbook"), here: inside })).toBe(
      join(dir, "checkout"),
    );
    mkdirSync(join(dir, "beside", "runbooks"), { recursive: true });
    expect(runbookHome({}, { execPath: join(dir, "beside", "runbook"), here: inside })).toBe(
      join(dir, "beside"),
    );
    expect(runbookHome({}, { execPath: join(dir, "nowhere", "runbook"), here: inside })).toBe(
      join(dir, "nowhere"),
    );
  });
});
