import { describe, expect, test } from "bun:test";
import { homedir } from "node:os";
import { join } from "node:path";
import { errorOf, INV, inventory, md, where } from "../helpers/fixtures.ts";

const at = (line: number, col: number) => `${INV}:${line}:${col}`;
const route = (yaml: string, name: string, sshConfig = "") =>
  inventory(yaml, sshConfig)
    .hosts.find((h) => h.name === name)
    ?.jump?.map((j) => `${j.name}=${j.user ?? ""}@${j.address}:${j.port}`);

describe("jump:", () => {
  test("names another machine of the inventory, defined before or after", () => {
    const yaml = md`
      hosts:
        db1: { address: 10.0.0.9, jump: bastion1 }
        bastion1: { address: 10.0.0.5, user: ops, port: 2222, identity: /keys/ops, known_hosts: /kh }
    `;
    const db1 = inventory(yaml).hosts[0];
    expect(db1?.jump).toEqual([
      {
        name: "bastion1",
        address: "10.0.0.5",
        port: 2222,
        user: "ops",
        identity: "/keys/ops",
        agent: false,
        knownHosts: "/kh",
        pos: { file: INV, line: 3, col: 3 },
        keyPos: {
          address: expect.anything(),
          user: expect.anything(),
          identity: expect.anything(),
          known_hosts: expect.anything(),
        },
      },
    ]);
    expect(inventory(yaml).hosts[1]?.jump).toBeUndefined();
  });

  test("user@host:port outside the inventory, user and port optional; the key and known_hosts of the machine behind it", () => {
    const yaml = md`
      hosts:
        a: { jump: ops@gw.example.com:2200, identity: /k, known_hosts: /kh }
        b: { jump: gw.example.com }
        c: { jump: "10.0.0.5:22" }
        d: { jump: "ops@[fe80::1]:22" }
    `;
    expect(route(yaml, "a")).toEqual(["ops@gw.example.com:2200=ops@gw.example.com:2200"]);
    expect(route(yaml, "b")).toEqual(["gw.example.com=@gw.example.com:22"]);
    expect(route(yaml, "c")).toEqual(["10.0.0.5:22=@10.0.0.5:22"]);
    expect(route(yaml, "d")).toEqual(["ops@[fe80::1]:22=ops@fe80::1:22"]);
    const a = inventory(yaml).hosts[0]?.jump?.[0];
    expect([a?.identity, a?.knownHosts, a?.pos.line]).toEqual(["/k", "/kh", 2]);
  });

  test("a list is a chain, first hop first; a bastion's own jump comes before it", () => {
    const yaml = md`
      hosts:
        outer: { address: 1.1.1.1 }
        inner: { address: 10.0.0.5, jump: outer }
        db1: { jump: inner }
        db2: { jump: [outer, "ops@10.0.0.6"] }
    `;
    expect(route(yaml, "db1")).toEqual(["outer=@1.1.1.1:22", "inner=@10.0.0.5:22"]);
    expect(route(yaml, "db2")).toEqual(["outer=@1.1.1.1:22", "ops@10.0.0.6=ops@10.0.0.6:22"]);
    expect(route(yaml, "inner")).toEqual(["outer=@1.1.1.1:22"]);
  });

  test("an unknown machine name is an error with the line and a suggestion", () => {
    const e = errorOf(() =>
      inventory(md`
        hosts:
          bastion1: {}
          db1:
            jump: bastoin1
      `),
    );
    expect(e.message).toBe('jump of db1 names "bastoin1", which is not a machine of the inventory');
    expect(where(e)).toBe(at(4, 11));
    expect(e.format()).toContain("bastion1");
  });

  test("a plain name nowhere in the inventory says how to name a bastion outside it", () => {
    const e = errorOf(() => inventory("hosts:\n  db1: { jump: gateway }\n"));
    expect(e.hint).toContain("user@host:port");
  });

  test("a jump to itself, a circle of jumps, an empty jump: errors naming the line and the fix", () => {
    const self = errorOf(() => inventory("hosts:\n  db1:\n    jump: db1\n"));
    expect(self.message).toBe("jump of db1 names db1 itself");
    expect(where(self)).toBe(at(3, 11));
    const circle = errorOf(() =>
      inventory(md`
        hosts:
          db1: { jump: b1 }
          b1: { jump: b2 }
          b2: { jump: db1 }
      `),
    );
    expect(circle.message).toBe(
      "jump of b2 names db1, which is reached through b2: the jumps go round in a circle (db1 → b1 → b2 → db1)",
    );
    expect(where(circle)).toBe(at(4, 15));
    expect(circle.hint).toContain("remove one of these jump:");
    for (const empty of ['""', "[]", '[b1, ""]']) {
      const e = errorOf(() => inventory(`hosts:\n  b1: {}\n  db1:\n    jump: ${empty}\n`));
      expect(e.message).toBe("jump of db1 is empty");
      expect(e.pos?.line).toBe(4);
    }
    expect(errorOf(() => inventory("hosts:\n  db1: { jump: 5 }\n")).message).toBe(
      "jump of db1 must be text, not number 5",
    );
    expect(errorOf(() => inventory("hosts:\n  db1: { jump: 'a b' }\n")).message).toContain(
      "neither a machine of the inventory nor user@host:port",
    );
  });

  test("local machines neither jump nor are jumped through", () => {
    expect(errorOf(() => inventory("hosts:\n  h: { transport: local, jump: 1.2.3.4 }\n")).message).toBe(
      "machine h is local (transport: local) and has a jump",
    );
    expect(errorOf(() => inventory("hosts:\n  h: { transport: local }\n  db1: { jump: h }\n")).message).toBe(
      "jump of db1 names h, which is a local machine (transport: local)",
    );
  });
});

describe("ProxyJump of the ssh config", () => {
  const sshConfig = md`
    Host db-*
      ProxyJump bastion1,ops@gw2:2200
    Host gw2
      HostName 10.0.0.7
      IdentityFile ~/.ssh/gw_key
    Host direct
      ProxyJump none
  `;

  test("is honoured like jump:, its names being machines of the inventory or ssh hosts", () => {
    const yaml = "hosts:\n  bastion1: { address: 10.0.0.5 }\n  db-1: {}\n  direct: {}\n";
    expect(route(yaml, "db-1", sshConfig)).toEqual([
      "bastion1=@10.0.0.5:22",
      "ops@gw2:2200=ops@10.0.0.7:2200",
    ]);
    const inv = inventory(yaml, sshConfig);
    expect(inv.hosts[1]?.jump?.[1]?.identity).toBe(join(homedir(), ".ssh/gw_key"));
    expect(inv.hosts[2]?.jump).toBeUndefined();
  });

  test("jump: in the inventory wins over ProxyJump", () => {
    expect(route("hosts:\n  db-1: { jump: 10.9.9.9 }\n", "db-1", sshConfig)).toEqual([
      "10.9.9.9=@10.9.9.9:22",
    ]);
  });

  test("a ProxyJump that names the machine itself (Host * in the ssh config) says where it comes from", () => {
    const e = errorOf(() => inventory("hosts:\n  gw: {}\n  db-1: {}\n", "Host *\n  ProxyJump gw\n"));
    expect(e.message).toBe("ProxyJump (~/.ssh/config) of gw names gw itself");
    expect(e.hint).toContain("Host * !gw");
  });

  test("a plain ProxyJump name is a host name, as ssh reads it", () => {
    expect(route("hosts:\n  db-1: {}\n", "db-1", "Host db-1\n  ProxyJump gateway\n")).toEqual([
      "gateway=@gateway:22",
    ]);
  });
});

describe("shared settings", () => {
  test("a YAML merge shares jump: as it shares user and port", () => {
    const yaml = md`
      hosts:
        bastion1: { address: 10.0.0.5 }
        db1: &behind { user: mq, jump: bastion1 }
        db2: { <<: *behind, address: 10.0.0.10 }
    `;
    expect(route(yaml, "db2")).toEqual(["bastion1=@10.0.0.5:22"]);
  });
});
