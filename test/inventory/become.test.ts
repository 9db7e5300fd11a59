import { describe, expect, test } from "bun:test";
import { errorOf, inventory, md, where } from "../helpers/fixtures.ts";

describe("become: in the inventory", () => {
  test("a machine's become: is the user its commands run as", () => {
    const inv = inventory(md`
      hosts:
        m1: { address: 10.0.0.1, user: ops, become: rocketmq, roles: [app] }
        m2: { address: 10.0.0.2, roles: [app] }
    `);
    expect(inv.hosts.map((h) => h.become)).toEqual(["rocketmq", undefined]);
  });

  test("a become: that is no user name is an error at its line, with the fix", () => {
    const e = errorOf(() =>
      inventory(md`
        hosts:
          m1:
            address: 10.0.0.1
            become: "root; rm -rf /"
      `),
    );
    expect(e.message).toBe('become of m1 is "root; rm -rf /", which is not a user name');
    expect(where(e)).toBe("/inv/hosts.yaml:4:13");
    expect(e.hint).toBe("write the name of a user of that machine, such as rocketmq");
  });
});
