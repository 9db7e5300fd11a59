import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { loadInventory } from "../../src/inventory/load-inventory.ts";
import { currentUser } from "../../src/util/current-user.ts";
import { errorOf, INV, inventory, md, where } from "../helpers/fixtures.ts";

const at = (line: number, col: number) => `${INV}:${line}:${col}`;

describe("machines", () => {
  test("ssh is the default transport, on port 22, at the machine's name", () => {
    const inv = inventory(md`
      hosts:
        db1:
          roles: [db]
    `);
    expect(inv.hosts).toEqual([
      {
        name: "db1",
        transport: "ssh",
        address: "db1",
        port: 22,
        user: undefined,
        identity: undefined,
        agent: false,
        knownHosts: undefined,
        roles: ["db"],
        vars: {},
        pos: { file: INV, line: 2, col: 3 },
      },
    ]);
  });

  test("YAML anchors, aliases and << merges are read as Ansible reads them", () => {
    const inv = inventory(md`
      hosts:
        a: &ssh
          user: rocketmq
          port: 2222
          roles: [broker]
          vars: &v { heap: 1g }
        b:
          <<: *ssh
          port: 2200
        c:
          <<: [*ssh]
          vars: *v
    `);
    expect(inv.hosts.map((h) => [h.name, h.user, h.port, h.roles, h.vars])).toEqual([
      ["a", "rocketmq", 2222, ["broker"], { heap: "1g" }],
      ["b", "rocketmq", 2200, ["broker"], { heap: "1g" }],
      ["c", "rocketmq", 2222, ["broker"], { heap: "1g" }],
    ]);
  });

  test("local machines default to 127.0.0.1 and the current user", () => {
    const inv = inventory(md`
      hosts:
        here: { transport: local, roles: [web] }
        there: { transport: local, address: 127.0.0.2, user: alice }
    `);
    expect(inv.hosts.map((h) => [h.name, h.transport, h.address, h.port, h.user])).toEqual([
      ["here", "local", "127.0.0.1", 22, currentUser()],
      ["there", "local", "127.0.0.2", 22, "alice"],
    ]);
    expect(inv.hosts[1]?.roles).toEqual([]);
  });

  test("every field of an ssh machine, ~ expanded in identity and known_hosts", () => {
    const inv = inventory(md`
      vars:
        base_dir: "~/rocketmq"
        port: 9876
        debug: true
      hosts:
        a:
          address: 192.168.1.2
          port: 2222
          user: rocketmq
          identity: ~/.ssh/id_ed25519
          agent: true
          known_hosts: ~/.ssh/known_hosts_lab
          roles: [broker-a, nameserver]
          vars: { broker_port: 10911, name: "a" }
        b:
          identity: /etc/keys/b
          port: "23"
    `);
    expect(inv.vars).toEqual({ base_dir: "~/rocketmq", port: 9876, debug: true });
    const [a, b] = inv.hosts;
    expect(a).toMatchObject({
      name: "a",
      transport: "ssh",
      address: "192.168.1.2",
      port: 2222,
      user: "rocketmq",
      identity: join(homedir(), ".ssh/id_ed25519"),
      agent: true,
      knownHosts: join(homedir(), ".ssh/known_hosts_lab"),
      roles: ["broker-a", "nameserver"],
      vars: { broker_port: 10911, name: "a" },
    });
    expect(b).toMatchObject({ identity: "/etc/keys/b", port: 23, address: "b" });
  });

  test("the inventory's sha256 and file are kept", () => {
    const text = "hosts:\n  a: {}\n";
    const inv = inventory(text);
    expect(inv.file).toBe(INV);
    expect(inv.sha256).toBe(createHash("sha256").update(text).digest("hex"));
    expect(inv.groups).toEqual({});
  });

  test("a machine with nothing after its name is an ssh machine with defaults", () => {
    const inv = inventory("hosts:\n  bare:\n");
    expect(inv.hosts.map((h) => [h.name, h.transport, h.address, h.port])).toEqual([
      ["bare", "ssh", "bare", 22],
    ]);
  });
});

describe("ssh client config", () => {
  const sshConfig = md`
    Host db-alias
      HostName 10.0.0.5
      User admin
      Port 2200
      IdentityFile ~/.ssh/db_key

    Host web-*
      User deploy

    Host *
      Port 2022
  `;

  test("an alias fills HostName, User, Port and IdentityFile", () => {
    const inv = inventory(
      md`
        hosts:
          db-alias: { roles: [db] }
          x: { address: db-alias }
          web-1: {}
          other: {}
      `,
      sshConfig,
    );
    expect(inv.hosts.map((h) => [h.name, h.address, h.user, h.port, h.identity])).toEqual([
      ["db-alias", "10.0.0.5", "admin", 2200, join(homedir(), ".ssh/db_key")],
      ["x", "10.0.0.5", "admin", 2200, join(homedir(), ".ssh/db_key")],
      ["web-1", "web-1", "deploy", 2022, undefined],
      ["other", "other", undefined, 2022, undefined],
    ]);
  });

  test("what the inventory says wins over the ssh config (but HostName resolves the alias)", () => {
    const inv = inventory(
      "hosts:\n  db-alias: { user: root, port: 22, identity: /k, address: db-alias }\n",
      sshConfig,
    );
    expect(inv.hosts.map((h) => [h.address, h.user, h.port, h.identity])).toEqual([
      ["10.0.0.5", "root", 22, "/k"],
    ]);
  });

  test("local machines ignore the ssh config", () => {
    const inv = inventory("hosts:\n  db-alias: { transport: local }\n", sshConfig);
    expect(inv.hosts.map((h) => [h.address, h.port])).toEqual([["127.0.0.1", 22]]);
  });
});

describe("groups", () => {
  test("groups name machines", () => {
    const inv = inventory("hosts:\n  a: {}\n  b: {}\ngroups:\n  east: [a]\n  all-of-them: [a, b]\n");
    expect(inv.groups).toEqual({ east: ["a"], "all-of-them": ["a", "b"] });
  });

  test("groups may come before hosts", () => {
    const inv = inventory("groups:\n  east: [a]\nhosts:\n  a: {}\n");
    expect(inv.groups).toEqual({ east: ["a"] });
  });

  test("a group naming an unknown machine, with a suggestion", () => {
    const e = errorOf(() =>
      inventory("hosts:\n  broker-a: {}\n  nameserver: {}\ngroups:\n  east: [nameserver, broker-b]\n"),
    );
    expect(e.code).toBe("inventory");
    expect(e.message).toBe('group east names machine "broker-b", which is not in hosts');
    expect(where(e)).toBe(at(5, 3));
    expect(e.hint).toBe('did you mean "broker-a"?');
  });
});

describe("errors", () => {
  const cases: [string, string, string, string, string | undefined][] = [
    [
      "unknown machine key, with a suggestion",
      "hosts:\n  a:\n    adress: 10.0.0.1\n",
      'unknown key "adress" in machine a',
      at(3, 5),
      'did you mean "address"?',
    ],
    [
      "unknown top-level key, with a suggestion",
      "host:\n  a: {}\n",
      'unknown key "host" in the inventory',
      at(1, 1),
      'did you mean "hosts"?',
    ],
    [
      "unknown top-level key with nothing close",
      "hosts:\n  a: {}\nmachines: {}\n",
      'unknown key "machines" in the inventory',
      at(3, 1),
      "allowed keys: vars, hosts, groups",
    ],
    [
      "unknown transport",
      "hosts:\n  a: { transport: sshd }\n",
      "transport of a must be local or ssh",
      at(2, 19),
      'did you mean "ssh"?',
    ],
    [
      "port out of range",
      "hosts:\n  a:\n    port: 70000\n",
      "port of a must be a number from 1 to 65535",
      at(3, 11),
      undefined,
    ],
    [
      "port that is not a number",
      "hosts:\n  a: { port: ssh }\n",
      "port of a must be a number from 1 to 65535",
      at(2, 14),
      undefined,
    ],
    [
      "machine name not allowed",
      "hosts:\n  -a: {}\n",
      'machine name "-a" is not allowed',
      at(2, 3),
      "use letters, digits, ., - and _",
    ],
    [
      "variable name not allowed",
      "vars:\n  Base-Dir: x\nhosts:\n  a: {}\n",
      'variable name "Base-Dir" is not allowed',
      at(2, 3),
      "use lower case letters, digits and _",
    ],
    [
      "role name not allowed",
      "hosts:\n  a: { roles: [Broker A] }\n",
      'role name "Broker A" of a is not allowed',
      at(2, 3),
      undefined,
    ],
    [
      "no hosts",
      "vars: { a: 1 }\n",
      "the inventory has no hosts",
      at(1, 1),
      "add hosts: with at least one machine",
    ],
    [
      "not a mapping",
      "- a\n- b\n",
      "an inventory is a mapping with hosts:",
      at(1, 1),
      "see runbooks/inventories/local.yaml",
    ],
    [
      "agent that is not a boolean",
      "hosts:\n  a: { agent: 1 }\n",
      "agent of a must be true or false",
      at(2, 15),
      undefined,
    ],
    [
      "roles that are not a list",
      "hosts:\n  a: { roles: web }\n",
      "roles of a must be a list such as [a, b]",
      at(2, 15),
      undefined,
    ],
    [
      "a var that is a list",
      "hosts:\n  a:\n    vars: { x: [1] }\n",
      "vars of a.x must be text, a number or true/false",
      at(3, 16),
      undefined,
    ],
    [
      "an empty address",
      'hosts:\n  a:\n    address: ""\n',
      "address of a is empty",
      at(3, 14),
      "write the machine's host name or IP address, or leave address out to use its name",
    ],
    [
      "an empty user",
      "hosts:\n  a: { user: '' }\n",
      "user of a is empty",
      at(2, 14),
      "write the login user, or leave user out to use the ssh config's or your own",
    ],
    [
      "known_hosts that is a number, not a file name",
      "hosts:\n  a:\n    known_hosts: 5\n",
      "known_hosts of a must be text, not number 5",
      at(3, 18),
      'write the path of a known_hosts file, quoted if it looks like a number ("5")',
    ],
    [
      "an identity that is not text",
      "hosts:\n  a:\n    identity: true\n",
      "identity of a must be text, not boolean true",
      at(3, 15),
      "write the path of a private key file, or leave identity out",
    ],
  ];
  for (const [name, yaml, message, pos, hint] of cases) {
    test(name, () => {
      const e = errorOf(() => inventory(yaml));
      expect(e.message).toBe(message);
      expect(where(e)).toBe(pos);
      if (hint !== undefined) expect(e.hint).toBe(hint);
    });
  }

  test("bad YAML names the line", () => {
    const e = errorOf(() => inventory("hosts:\n  a: {}\n  a: {}\n"));
    expect(e.code).toBe("yaml");
    expect(e.message).toBe("invalid YAML: Map keys must be unique");
    expect(where(e)).toBe(at(3, 3));
  });
});

describe("loadInventory", () => {
  const dir = mkdtempSync(join(tmpdir(), "runbook-inv-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("reads a file with the given ssh config", () => {
    const file = join(dir, "hosts.yaml");
    writeFileSync(file, "hosts:\n  db: {}\n");
    const inv = loadInventory(file, { sshConfig: "Host db\n  HostName 10.1.1.1\n" });
    expect(inv.file).toBe(file);
    expect(inv.hosts[0]?.address).toBe("10.1.1.1");
  });

  test("a missing file is an io error with a hint", () => {
    const e = errorOf(() => loadInventory(join(dir, "nope.yaml"), { sshConfig: "" }));
    expect(e.code).toBe("io");
    expect(e.message).toBe(`cannot read the inventory ${join(dir, "nope.yaml")}`);
    expect(e.hint).toBe("pass an existing file with -i");
  });
});
