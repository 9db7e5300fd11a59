import { describe, expect, test } from "bun:test";
import { buildPlan } from "../../src/plan/build-plan.ts";
import { inventory, parse } from "../helpers/fixtures.ts";
import { hostsOf } from "../helpers/plan.ts";

/**
 * Groups in a diamond, `depth` levels deep: g0 holds g1a and g1b, both hold g2a and g2b, and so on, down to
 * the roles web and db. Walking every path from g0 visits 2^depth leaves; the machines are the same two.
 */
function diamondRunbook(depth: number): string {
  const groups: string[] = [];
  for (let i = 0; i < depth; i++) {
    const members = i + 1 < depth ? `[g${i + 1}a, g${i + 1}b]` : "[web, db]";
    if (i === 0) groups.push(`  g0: ${members}`);
    else groups.push(`  g${i}a: ${members}`, `  g${i}b: ${members}`);
  }
  return `---\ntitle: T\nroles: [web, db, cache]\ngroups:\n${groups.join("\n")}\n---\n## S\n~~~sh {on=g0}\ntrue\n~~~\n`;
}

const INVENTORY = `hosts:
  c1: { address: 10.0.0.3, roles: [cache] }
  d1: { address: 10.0.0.2, roles: [db] }
  w1: { address: 10.0.0.1, roles: [web] }
`;

describe("groups of groups", () => {
  test(
    "a diamond of groups 25 levels deep is expanded once per group, not once per path",
    () => {
      const p = buildPlan(parse(diamondRunbook(25)), inventory(INVENTORY));
      expect(hostsOf(p, "s")).toEqual(["d1", "w1"]);
    },
    { timeout: 2000 },
  );

  test("the machines of a group of groups stay in inventory order", () => {
    const p = buildPlan(parse(diamondRunbook(3)), inventory(INVENTORY));
    expect(hostsOf(p, "s")).toEqual(["d1", "w1"]);
  });
});
