import { describe, expect, test } from "bun:test";
import { parseRunbook } from "../../src/format/parse-runbook.ts";
import type { Plan } from "../../src/model/plan.ts";
import { buildPlan, planHash } from "../../src/plan/build-plan.ts";
import { errorOf, INV, inventory, MAIN, md, memFs, parse, where } from "../helpers/fixtures.ts";
import { actionOf, commandOf, hostsOf, planStep, planTarget, shellOf } from "../helpers/plan.ts";

const INVENTORY = md`
  vars:
    v_inv: inventory
    v_machine: inventory
    v_cli: inventory
  hosts:
    ns1:
      address: 10.0.0.1
      user: mq
      roles: [nameserver]
      vars: { namesrv_port: 9876 }
    ns2:
      address: 10.0.0.2
      port: 2222
      roles: [nameserver]
      vars: { namesrv_port: 9877 }
    a:
      address: 10.0.0.3
      roles: [broker-a]
      vars: { v_machine: machine, v_cli: machine, mode: fast }
    b:
      address: 10.0.0.4
      roles: [broker-b]
    zk:
      address: 10.0.0.9
      roles: [zookeeper]
  groups:
    east: [ns1, a]
`;
const inv = inventory(INVENTORY);

/** Front matter shared by most tests: 29 lines, so a body starts at line 30. */
const FRONT = md`
  ---
  title: Cluster
  confirm: "{{ cluster }}"
  roles:
    nameserver: { describe: ns }
    broker-a:
      vars: { v_role: role, v_inv: role, v_machine: role, v_cli: role }
    broker-b:
  groups:
    brokers: [broker-a, broker-b]
  vars:
    v_default: { default: default }
    v_role: { default: default }
    v_inv: { default: default }
    v_machine: { default: default }
    v_cli: { default: default }
    namesrv_port: { describe: "per machine" }
    broker_port: { describe: "only set on some machines" }
    mode: { default: safe, choices: [safe, fast] }
    msg: { default: "hello world; $(id)" }
    splice: { default: "a && b", raw: true }
    home: { default: "~/app dir" }
    cluster: { default: prod }
    admin_password: { secret: true, describe: "console password" }
    store: { default: "{{ home }}/store" }
    sep: { default: ";" }
    empty: { default: "" }
    unset: {}
  ---
`;

function rb(body: string) {
  return parse(`${FRONT}${body}`);
}

function plan(body: string, opts: Parameters<typeof buildPlan>[2] = {}): Plan {
  return buildPlan(rb(body), inv, opts);
}

describe("variables", () => {
  test("precedence: --var > machine vars > inventory vars > role vars > default", () => {
    const p = plan(
      md`
        ## Show
        ~~~sh {on=all}
        echo {{ v_default }} {{ v_role }} {{ v_inv }} {{ v_machine }} {{ v_cli }}
        ~~~
      `,
      { vars: { v_cli: "cli" } },
    );
    expect(commandOf(p, "show", "a")).toBe("echo default role inventory machine cli\n");
    expect(commandOf(p, "show", "b")).toBe("echo default default inventory inventory cli\n");
    expect(commandOf(p, "show", "ns1")).toBe("echo default default inventory inventory cli\n");
    const a = p.hosts.find((h) => h.name === "a");
    expect(a?.vars).toMatchObject({
      v_default: "default",
      v_role: "role",
      v_inv: "inventory",
      v_machine: "machine",
      v_cli: "cli",
      mode: "fast",
    });
    expect(p.overrides).toEqual({ v_cli: "cli" });
  });

  test("without --var the machine's own value wins", () => {
    const p = plan("## Show\n~~~sh {on=broker-a}\necho {{ v_cli }}\n~~~\n");
    expect(commandOf(p, "show", "a")).toBe("echo machine\n");
  });

  test("each machine gets its own values and host fields", () => {
    const p = plan(md`
      ## Show
      ~~~sh {on=nameserver}
      echo {{ host.name }} {{ host.address }} {{ host.user }} {{ host.port }} {{ namesrv_port }} {{ runbook.title }}
      ~~~
    `);
    expect(hostsOf(p, "show")).toEqual(["ns1", "ns2"]);
    expect(commandOf(p, "show", "ns1")).toBe("echo ns1 10.0.0.1 mq 22 9876 Cluster\n");
    expect(commandOf(p, "show", "ns2")).toBe("echo ns2 10.0.0.2 '' 2222 9877 Cluster\n");
  });

  test("defaults may use other variables, resolved per machine", () => {
    const p = plan("## S\n~~~sh {on=broker-a}\nls {{ store }}\n~~~\n", { vars: { home: "/srv/x" } });
    expect(commandOf(p, "s", "a")).toBe("ls /srv/x/store\n");
    expect(p.hosts.find((h) => h.name === "a")?.vars.store).toBe("/srv/x/store");
  });

  test("wait-port must resolve to a port: a hostile value never reaches the /dev/tcp redirection", () => {
    const rb = parse(
      '---\ntitle: T\nroles: [web]\nvars:\n  port: { default: 8080 }\n---\n## S\n~~~sh {on=web background wait-port="{{ port }}"}\nserve\n~~~\n',
    );
    const webInv = inventory("hosts:\n  w: { roles: [web] }\n");
    expect(shellOf(buildPlan(rb, webInv), "s", "w").wait?.target).toBe("8080");
    expect(shellOf(buildPlan(rb, webInv, { vars: { port: "10.0.0.1:80" } }), "s", "w").wait?.target).toBe(
      "10.0.0.1:80",
    );
    for (const bad of ["1; touch /tmp/x", "$(id)", "80 81"]) {
      const e = errorOf(() => buildPlan(rb, webInv, { vars: { port: bad } }));
      expect(e.code).toBe("bad-variable");
      expect(e.message).toBe(`wait-port= is "${bad}" here, which is not a port`);
      expect(where(e)).toBe(`${MAIN}:8:1`);
    }
  });

  test("expect= and wait-for= with a variable are checked as regular expressions once filled in", () => {
    const rb = parse(
      '---\ntitle: T\nroles: [web]\nvars:\n  name: { default: web }\n---\n## S\n~~~sh {on=web expect="ok [{{ name }}]"}\nserve\n~~~\n',
    );
    const webInv = inventory("hosts:\n  w: { roles: [web] }\n");
    expect(shellOf(buildPlan(rb, webInv), "s", "w").expect).toBe("ok [web]");
    const e = errorOf(() => buildPlan(rb, webInv, { vars: { name: "z-a" } }));
    expect(e.code).toBe("bad-attribute");
    expect(e.message).toContain("expect= is not a valid regular expression here");
    expect(e.message).toContain("(in /ok [z-a]/)");
    expect(e.hint).toBe(
      "escape special characters such as ( [ . with a backslash, written \\\\ in a fence's attributes (Markdown removes one before punctuation)",
    );
  });

  test("a --var outside the choices, or not matching the pattern, is refused", () => {
    const e = errorOf(() =>
      plan("## S\n~~~sh {on=broker-a}\necho {{ mode }}\n~~~\n", { vars: { mode: "slow" } }),
    );
    expect(e.code).toBe("bad-variable");
    expect(e.message).toBe("mode=slow (--var) is not one of safe, fast");
    const withPattern = parse(
      "---\ntitle: T\nroles: [web]\nvars:\n  heap: { default: 256m, pattern: '^[0-9]+[mg]$', describe: broker heap }\n---\n## S\n~~~sh {on=web}\njava -Xmx{{ heap }}\n~~~\n",
    );
    const webInv = inventory("hosts:\n  w: { roles: [web] }\n");
    expect(commandOf(buildPlan(withPattern, webInv), "s", "w")).toBe("java -Xmx256m\n");
    const e2 = errorOf(() => buildPlan(withPattern, webInv, { vars: { heap: "lots" } }));
    expect(e2.message).toBe("heap=lots (--var) does not match ^[0-9]+[mg]$");
    expect(e2.hint).toBe("broker heap");
    expect(where(e2)).toBe(`${MAIN}:5:3`);
  });

  test("--var of an undeclared variable is refused, with a suggestion", () => {
    const e = errorOf(() => plan("", { vars: { clustr: "x" } }));
    expect(e.code).toBe("usage");
    expect(e.message).toBe("--var clustr: this runbook declares no variable clustr");
    expect(e.hint).toBe('did you mean "cluster"?');
  });

  test("--var of a secret is refused", () => {
    const e = errorOf(() => plan("", { vars: { admin_password: "hunter2" } }));
    expect(e.code).toBe("usage");
    expect(e.message).toBe(
      "--var admin_password: admin_password is a secret and is never taken on the command line",
    );
    expect(e.hint).toBe(
      "supply it at run time (it is asked for, or read from RUNBOOK_SECRET_ADMIN_PASSWORD)",
    );
  });

  test("a machine lacking a value it needs is named, with the fix", () => {
    const e = errorOf(() => plan("## S\n~~~sh {on=all}\necho start\nls {{ broker_port }}\n~~~\n"));
    expect(e.code).toBe("bad-variable");
    expect(e.message).toBe("variable broker_port has no value on machine ns1");
    expect(e.hint).toBe(
      "set it in the inventory (hosts: ns1: vars: broker_port: ...) or pass --var broker_port=...",
    );
    expect(where(e)).toBe(`${MAIN}:33:4`);
  });

  test("a variable no machine uses may lack a value; it is left out of the machine's vars", () => {
    const p = plan("## S\n~~~sh {on=all}\ntrue\n~~~\n");
    expect(p.hosts.find((h) => h.name === "ns1")?.vars).not.toHaveProperty("unset");
    expect(p.hosts.find((h) => h.name === "ns1")?.vars.namesrv_port).toBe("9876");
    expect(p.hosts.find((h) => h.name === "a")?.vars).not.toHaveProperty("namesrv_port");
  });
});

describe("shell quoting", () => {
  test("values are quoted in commands, rollbacks and wait-cmd, not in file blocks or other attributes", () => {
    const p = plan(md`
      ## S
      ~~~sh {on=broker-a wait-cmd="test -f {{ msg }}" expect="{{ msg }}"}
      echo {{ msg }} > {{ home }}/out
      ~~~
      ~~~sh {on=broker-a background log="/tmp/{{ msg }}.log" wait-log="/tmp/{{ msg }}.log" wait-for="{{ msg }}"}
      run
      ~~~
      ~~~ini {on=broker-a file="{{ home }}/{{ msg }}.ini"}
      msg={{ msg }}
      home={{ home }}
      ~~~
      ~~~rollback {on=broker-a}
      rm -rf {{ home }}/{{ msg }}
      ~~~
    `);
    const sh = shellOf(p, "s", "a", 0);
    expect(sh.command).toBe("echo 'hello world; $(id)' > ~/'app dir'/out\n");
    expect(sh.wait).toEqual({
      kind: "command",
      target: "test -f 'hello world; $(id)'",
      run: { script: 'test -f "${__rb_msg}"', values: { __rb_msg: "hello world; $(id)" }, late: {} },
      timeoutMs: 120_000,
    });
    // In a regular expression a value matches itself: `$(id)` is not an anchor and a group.
    expect(sh.expect).toBe("hello world; \\$\\(id\\)");
    expect(new RegExp(sh.expect as string).test("hello world; $(id)")).toBe(true);
    const bg = shellOf(p, "s", "a", 1);
    expect(bg.log).toBe("/tmp/hello world; $(id).log");
    expect(bg.wait).toEqual({
      kind: "log",
      target: "/tmp/hello world; $(id).log",
      pattern: "hello world; \\$\\(id\\)",
      timeoutMs: 120_000,
    });
    const file = actionOf(p, "s", "a", 2);
    expect(file).toMatchObject({
      kind: "file",
      path: "~/app dir/hello world; $(id).ini",
      content: "msg=hello world; $(id)\nhome=~/app dir\n",
      mode: "0644",
    });
    expect(planTarget(p, "s", "a").rollback.map((r) => r.command)).toEqual([
      "rm -rf ~/'app dir'/'hello world; $(id)'\n",
    ]);
  });

  test("a hostile --var value ends up as one quoted word", () => {
    const body = "## S\n~~~sh {on=broker-a}\ncd {{ cluster }} && ls\n~~~\n";
    expect(commandOf(plan(body, { vars: { cluster: "$(touch /tmp/x)" } }), "s", "a")).toBe(
      "cd '$(touch /tmp/x)' && ls\n",
    );
    expect(commandOf(plan(body, { vars: { cluster: "; rm -rf /" } }), "s", "a")).toBe(
      "cd '; rm -rf /' && ls\n",
    );
    expect(commandOf(plan(body, { vars: { cluster: "`reboot`" } }), "s", "a")).toBe("cd '`reboot`' && ls\n");
    expect(commandOf(plan(body, { vars: { cluster: "it's" } }), "s", "a")).toBe("cd 'it'\\''s' && ls\n");
  });

  test("raw variables and the raw filter are spliced as written", () => {
    const p = plan(md`
      ## S
      ~~~sh {on=broker-a}
      {{ splice }} || {{ msg | raw }} || {{ msg }}
      ~~~
    `);
    expect(commandOf(p, "s", "a")).toBe("a && b || hello world; $(id) || 'hello world; $(id)'\n");
  });
});

describe("filters", () => {
  test("addr with a number, join, first", () => {
    const p = plan(md`
      ## S
      ~~~sh {on=broker-a}
      echo {{ hosts.nameserver | addr:9876 | join:';' }} {{ hosts.nameserver | first }} {{ hosts.brokers | join:',' }}
      ~~~
    `);
    expect(commandOf(p, "s", "a")).toBe("echo '10.0.0.1:9876;10.0.0.2:9876' 10.0.0.1 10.0.0.3,10.0.0.4\n");
  });

  test("addr with a per-machine variable uses each machine's own value", () => {
    const p = plan(md`
      ## S
      ~~~ini {on=broker-a file=/etc/x}
      namesrvAddr={{ hosts.nameserver | addr:namesrv_port | join:sep }}
      first={{ hosts.nameserver | addr:namesrv_port | first }}
      ~~~
    `);
    expect(actionOf(p, "s", "a")).toMatchObject({
      content: "namesrvAddr=10.0.0.1:9876;10.0.0.2:9877\nfirst=10.0.0.1:9876\n",
    });
  });

  test("default replaces an empty or unset value", () => {
    const p = plan(md`
      ## S
      ~~~sh {on=broker-a}
      echo {{ empty | default:'fallback' }} {{ unset | default:'none' }} {{ cluster | default:'x' }} {{ empty | default:cluster }}
      ~~~
    `);
    expect(commandOf(p, "s", "a")).toBe("echo fallback none prod prod\n");
  });

  test("a list of machines without join is an error at the expression", () => {
    const e = errorOf(() => plan("## S\n~~~sh {on=broker-a}\necho {{ hosts.nameserver }}\n~~~\n"));
    expect(e.code).toBe("bad-template");
    expect(e.message).toBe("{{ hosts.nameserver }} is a list of machines");
    expect(e.hint).toBe("turn it into text with | join:',' (after | addr:PORT for machines)");
    expect(where(e)).toBe(`${MAIN}:32:6`);
  });

  test("addr on text is an error", () => {
    const e = errorOf(() => plan("## S\n~~~sh {on=broker-a}\necho {{ cluster | addr:1 }}\n~~~\n"));
    expect(e.message).toBe("{{ cluster | addr:1 }}: addr applies to machines");
  });
});

describe("targets", () => {
  const body = md`
    ## On all {#on-all}
    ~~~sh {on=all}
    true
    ~~~
    ## On a group {#on-group}
    ~~~sh {on=brokers}
    true
    ~~~
    ## On a machine {#on-machine}
    ~~~sh {on=@zk}
    true
    ~~~
    ## On several {#on-several}
    ~~~sh {on="@b, nameserver, broker-b"}
    true
    ~~~
  `;

  test("all is every machine playing a role of this runbook; groups and @machines", () => {
    const p = plan(body);
    expect(hostsOf(p, "on-all")).toEqual(["ns1", "ns2", "a", "b"]);
    expect(hostsOf(p, "on-group")).toEqual(["a", "b"]);
    expect(hostsOf(p, "on-machine")).toEqual(["zk"]);
    expect(hostsOf(p, "on-several")).toEqual(["ns1", "ns2", "b"]);
  });

  test("a machine targeted by @name is described in the plan's hosts", () => {
    const p = plan(body);
    expect(p.hosts.map((h) => h.name)).toEqual(["ns1", "ns2", "a", "b", "zk"]);
    expect(p.hosts.find((h) => h.name === "zk")).toMatchObject({
      transport: "ssh",
      address: "10.0.0.9",
      port: 22,
    });
  });

  test("machines that play no role of the runbook are left out", () => {
    const p = plan("## S\n~~~sh {on=all}\ntrue\n~~~\n");
    expect(p.hosts.map((h) => h.name)).toEqual(["ns1", "ns2", "a", "b"]);
    expect(p.hosts.find((h) => h.name === "ns1")).toMatchObject({
      name: "ns1",
      transport: "ssh",
      address: "10.0.0.1",
      port: 22,
      user: "mq",
      roles: ["nameserver"],
    });
  });

  test("--limit by machine, by inventory group and by role; hosts.X still lists every machine", () => {
    const withHosts = `${body}## Addr {#addr}\n~~~sh {on=all}\necho {{ hosts.nameserver | join:',' }}\n~~~\n`;
    const p = plan(withHosts, { limit: ["a"] });
    expect(hostsOf(p, "on-all")).toEqual(["a"]);
    expect(hostsOf(p, "on-group")).toEqual(["a"]);
    expect(planStep(p, "on-machine").skipped).toBeDefined();
    expect(commandOf(p, "addr", "a")).toBe("echo 10.0.0.1,10.0.0.2\n");
    expect(p.limit).toEqual(["a"]);
    expect(hostsOf(plan(body, { limit: ["east"] }), "on-all")).toEqual(["ns1", "a"]);
    expect(hostsOf(plan(body, { limit: ["nameserver", "b"] }), "on-all")).toEqual(["ns1", "ns2", "b"]);
    expect(hostsOf(plan(body, { limit: ["brokers"] }), "on-all")).toEqual(["a", "b"]);
  });

  test("an unknown --limit is refused, with a suggestion", () => {
    const e = errorOf(() => plan(body, { limit: ["eats"] }));
    expect(e.code).toBe("usage");
    expect(e.message).toBe("--limit eats: no machine, inventory group or role of that name");
    expect(e.hint).toBe('did you mean "east"?');
  });

  test("@machine not in the inventory is refused, with a suggestion", () => {
    const e = errorOf(() => plan("## S\n~~~sh {on=@ns3}\ntrue\n~~~\n"));
    expect(e.code).toBe("unknown-target");
    expect(e.message).toBe(`machine ns3 in on= is not in the inventory ${INV}`);
    expect(e.hint).toBe('did you mean "ns1"?');
    expect(where(e)).toBe(`${MAIN}:31:1`);
  });

  test("a declared role with no machine in the inventory is an error naming the role", () => {
    const runbook = parse("---\ntitle: T\nroles: [nameserver, broker-c]\n---\n");
    const e = errorOf(() => buildPlan(runbook, inv));
    expect(e.code).toBe("unknown-role");
    expect(e.message).toBe(`no machine in ${INV} has role broker-c, which this runbook needs`);
    expect(where(e)).toBe(`${MAIN}:3:21`);
    expect(e.hint).toBe('add "broker-c" to the roles: of a machine in the inventory');
  });
});

describe("prose", () => {
  test("a variable in prose is filled in where every machine of the step agrees, and left as written where not", () => {
    const p = plan(
      "## S\n\nInstalls into `{{ v_default }}` ({{ runbook.title }}), port {{ namesrv_port }}.\n\n~~~sh {on=nameserver}\nls\n~~~\n",
    );
    // ns1 and ns2 have different namesrv_port values: that one stays a variable.
    expect(planStep(p, "s").prose).toBe("Installs into `default` (Cluster), port {{ namesrv_port }}.");
    const one = plan("## S\n\nport {{ namesrv_port }}\n\n~~~sh {on=@ns2}\nls\n~~~\n");
    expect(planStep(one, "s").prose).toBe("port 9877");
  });
});

describe("optional roles", () => {
  test("a role no machine plays is an error unless it is optional; its steps then run nowhere", () => {
    const rb = (optional: string) =>
      parse(
        `---\ntitle: T\nroles:\n  nameserver: {}\n  broker-c: { describe: third master${optional} }\n---\n## On c\n~~~sh {on=broker-c}\necho c\n~~~\n## On ns\n~~~sh {on=nameserver}\necho ns\n~~~\n`,
      );
    const e = errorOf(() => buildPlan(rb(""), inv));
    expect(e.message).toBe(`no machine in ${INV} has role broker-c, which this runbook needs`);
    const p = buildPlan(rb(", optional: true"), inv);
    expect(planStep(p, "on-c").skipped).toBe("no machine matches its on= and when=");
    expect(hostsOf(p, "on-ns")).toEqual(["ns1", "ns2"]);
  });
});

describe("when=", () => {
  test("is evaluated per machine", () => {
    const p = plan(md`
      ## S
      ~~~sh {on=all when="mode == 'fast'"}
      fast
      ~~~
      ~~~sh {on=all when="mode != 'fast'"}
      safe
      ~~~
      ~~~rollback {on=all when="mode == 'fast'"}
      undo fast
      ~~~
    `);
    expect(hostsOf(p, "s")).toEqual(["ns1", "ns2", "a", "b"]);
    expect(planTarget(p, "s", "a").actions.map((x) => (x.kind === "shell" ? x.command : ""))).toEqual([
      "fast\n",
    ]);
    expect(planTarget(p, "s", "b").actions.map((x) => (x.kind === "shell" ? x.command : ""))).toEqual([
      "safe\n",
    ]);
    expect(planTarget(p, "s", "a").rollback.map((r) => r.command)).toEqual(["undo fast\n"]);
    expect(planTarget(p, "s", "b").rollback).toEqual([]);
  });

  test("a value may be a variable: the machines whose own variable equals the one given", () => {
    // mode is per machine (a: fast, others: safe); v_default is one value for all, set with --var.
    const body = "## S\n~~~sh {on=all when=\"mode == '{{ v_default }}'\"}\nhere\n~~~\n";
    expect(hostsOf(plan(body, { vars: { v_default: "fast" } }), "s")).toEqual(["a"]);
    expect(hostsOf(plan(body, { vars: { v_default: "safe" } }), "s")).toEqual(["ns1", "ns2", "b"]);
    // The variable inside the value must be declared, like any other.
    const e = errorOf(() => plan("## S\n~~~sh {on=all when=\"mode == '{{ nope }}'\"}\nhere\n~~~\n"));
    expect(e.code).toBe("undefined-variable");
  });

  test("a step whose actions run nowhere is skipped, and shows its declared risk", () => {
    const p = plan(md`
      ## Wipe
      ~~~sh {on=all when="mode == 'fast' && cluster == 'test'" risk=destructive}
      rm -rf /data
      ~~~
    `);
    const s = planStep(p, "wipe");
    expect(s.targets).toEqual([]);
    expect(s.skipped).toBe("no machine matches its on= and when=");
    expect(s.risk).toBe("destructive");
    expect(s.confirm).toBeUndefined();
    // With the variable changed, it runs.
    const p2 = plan(
      "## Wipe\n~~~sh {on=all when=\"mode == 'fast' && cluster == 'test'\" risk=destructive}\nrm -rf /data\n~~~\n",
      {
        vars: { cluster: "test" },
      },
    );
    expect(hostsOf(p2, "wipe")).toEqual(["a"]);
    expect(planStep(p2, "wipe").skipped).toBeUndefined();
  });

  test("a step without actions is not skipped and changes nothing", () => {
    const p = plan("## Read this\n\nJust prose.\n");
    expect(planStep(p, "read-this")).toMatchObject({ risk: "read", targets: [], prose: "Just prose." });
    expect(planStep(p, "read-this").skipped).toBeUndefined();
  });
});

describe("risk and confirmation", () => {
  test("the step's risk is the highest of its actions", () => {
    const p = plan(md`
      ## Only reads
      ~~~sh {on=nameserver risk=read}
      ls
      ~~~
      ~~~sh {on=all risk=read}
      ls
      ~~~
      ## Reads and changes
      ~~~sh {on=broker-a risk=read}
      ls
      ~~~
      ~~~ts {on=broker-a}
      await ctx.$("touch x");
      ~~~
      ## Destroys
      ~~~sh {on=broker-a risk=read}
      ls
      ~~~
      ~~~ini {on=broker-b file=/x risk=destructive confirm="overwrite-{{ host.name }}"}
      x
      ~~~
      ~~~sh {on=broker-a}
      touch y
      ~~~
    `);
    expect(planStep(p, "only-reads").risk).toBe("read");
    expect(planStep(p, "reads-and-changes").risk).toBe("change");
    expect(planStep(p, "destroys").risk).toBe("destructive");
    expect(planStep(p, "only-reads").confirm).toBeUndefined();
    expect(planStep(p, "reads-and-changes").confirm).toBeUndefined();
    // Explicit confirm=, rendered on the machine the destructive action runs on.
    expect(planStep(p, "destroys").confirm).toBe("overwrite-b");
    expect(actionOf(p, "destroys", "b").risk).toBe("destructive");
  });

  test("confirm falls back to the front matter's confirm, then to the step id", () => {
    const destroy = "## Drop the store {#drop}\n~~~sh {on=broker-a risk=destructive}\nrm -rf store\n~~~\n";
    expect(planStep(plan(destroy), "drop").confirm).toBe("prod");
    expect(planStep(plan(destroy, { vars: { cluster: "staging" } }), "drop").confirm).toBe("staging");
    const noConfirm = parse(`---\ntitle: T\nroles: [broker-a]\n---\n${destroy}`);
    expect(planStep(buildPlan(noConfirm, inv), "drop").confirm).toBe("drop");
  });
});

describe("captured and secret values", () => {
  test("captured variables are shown as ⟨name⟩ and listed as deferred, in later steps and the same step", () => {
    const p = plan(md`
      ## Find the pid
      ~~~sh {on=broker-a capture=pid}
      pgrep java
      ~~~
      ~~~sh {on=broker-a wait-cmd="kill -0 {{ pid }}"}
      echo found {{ pid }}
      ~~~
      ~~~rollback {on=broker-a}
      kill {{ pid }}
      ~~~
      ## Stop it
      ~~~sh {on=broker-a}
      kill {{ pid }} {{ pid | raw }}
      ~~~
      ~~~ini {on=broker-a file=/tmp/pid}
      {{ pid }}
      ~~~
    `);
    const find = shellOf(p, "find-the-pid", "a", 0);
    expect(find.capture).toBe("pid");
    expect(find.deferred).toEqual([]);
    const same = shellOf(p, "find-the-pid", "a", 1);
    expect(same.command).toBe("echo found ⟨pid⟩\n");
    expect(same.wait?.target).toBe("kill -0 ⟨pid⟩");
    expect(same.deferred).toEqual(["pid"]);
    expect(planTarget(p, "find-the-pid", "a").rollback).toEqual([
      {
        source: { file: MAIN, line: 37, col: 1 },
        command: "kill ⟨pid⟩\n",
        run: { script: 'kill "${__rb_pid}"\n', values: {}, late: { __rb_pid: "pid" } },
        timeoutMs: 600_000,
        deferred: ["pid"],
      },
    ]);
    expect(same.run).toEqual({ script: 'echo found "${__rb_pid}"\n', values: {}, late: { __rb_pid: "pid" } });
    expect(same.wait?.run).toEqual({
      script: 'kill -0 "${__rb_pid}"',
      values: {},
      late: { __rb_pid: "pid" },
    });
    const stop = shellOf(p, "stop-it", "a", 0);
    expect(stop.command).toBe("kill ⟨pid⟩ ⟨pid|raw⟩\n");
    expect(stop.run.script).toBe('kill "${__rb_pid}" ⟨pid|raw⟩\n');
    expect(stop.deferred).toEqual(["pid"]);
    expect(actionOf(p, "stop-it", "a", 1)).toMatchObject({ content: "⟨pid|raw⟩\n", deferred: ["pid"] });
  });

  test("a captured variable that is also declared is deferred from the capture on", () => {
    const runbook = parse(md`
      ---
      title: T
      roles: [broker-a]
      vars:
        pid: { describe: "the broker's pid, captured" }
        version: { default: "4.9" }
      ---
      ## Before
      ~~~sh {on=broker-a}
      echo {{ version }}
      ~~~
      ## Capture
      ~~~sh {on=broker-a capture=pid}
      pgrep java
      ~~~
      ~~~sh {on=broker-a capture=version}
      cat VERSION
      ~~~
      ## After
      ~~~sh {on=broker-a}
      kill {{ pid }}; echo {{ version }}
      ~~~
    `);
    const p = buildPlan(runbook, inv);
    expect(commandOf(p, "before", "a")).toBe("echo 4.9\n");
    expect(shellOf(p, "after", "a").command).toBe("kill ⟨pid⟩; echo ⟨version⟩\n");
    expect(shellOf(p, "after", "a").deferred).toEqual(["pid", "version"]);
  });

  test("secrets are deferred and their value is nowhere in the plan", () => {
    const secretInv = inventory(
      `${INVENTORY}\n`.replace("v_inv: inventory", "v_inv: inventory\n  admin_password: hunter2-SECRET"),
    );
    expect(secretInv.vars.admin_password).toBe("hunter2-SECRET");
    const p = buildPlan(
      rb(md`
        ## Log in
        ~~~sh {on=broker-a}
        login --password {{ admin_password }}
        ~~~
        ~~~properties {on=broker-a file=/etc/console.properties mode=0600}
        password={{ admin_password }}
        ~~~
      `),
      secretInv,
    );
    const sh = shellOf(p, "log-in", "a");
    expect(sh.command).toBe("login --password ⟨admin_password⟩\n");
    expect(sh.deferred).toEqual(["admin_password"]);
    expect(actionOf(p, "log-in", "a", 1)).toMatchObject({
      content: "password=⟨admin_password|raw⟩\n",
      deferred: ["admin_password"],
    });
    expect(p.secrets).toEqual(["admin_password"]);
    for (const h of p.hosts) expect(h.vars).not.toHaveProperty("admin_password");
    expect(JSON.stringify(p)).not.toContain("hunter2");
  });

  test("a secret used in another variable's default is refused rather than half-quoted", () => {
    const runbook = parse(md`
      ---
      title: T
      roles: [broker-a]
      vars:
        admin_password: { secret: true }
        url: { default: "http://admin:{{ admin_password }}@localhost" }
      ---
      ## S
      ~~~sh {on=broker-a}
      curl {{ url }}
      ~~~
    `);
    const e = errorOf(() => buildPlan(runbook, inv));
    expect(e.code).toBe("bad-variable");
    expect(e.message).toBe("the value of url uses admin_password, which is known only at run time");
    expect(e.hint).toBe("use {{ admin_password }} directly in the command or file");
    expect(where(e)).toBe(`${MAIN}:6:3`);
  });
});

describe("actions in the plan", () => {
  test("timeouts, retries, background and ts actions", () => {
    const p = plan(md`
      ## S
      ~~~sh {on=broker-a}
      a
      ~~~
      ~~~sh {on=broker-a background wait-port=10911}
      b
      ~~~
      ~~~sh {on=broker-a timeout=30s retries=2 retry-delay=5s wait-log=/l wait-for=ready background}
      c
      ~~~
      ~~~ts {on=broker-a timeout=1m}
      ctx.capture("x", "y");
      ~~~
    `);
    expect(shellOf(p, "s", "a", 0)).toEqual({
      kind: "shell",
      source: { file: MAIN, line: 31, col: 1 },
      risk: "change",
      deferred: [],
      command: "a\n",
      run: { script: "a\n", values: {}, late: {} },
      background: false,
      log: undefined,
      wait: undefined,
      timeoutMs: 600_000,
      retries: 0,
      retryDelayMs: 2000,
      capture: undefined,
      expect: undefined,
    });
    expect(shellOf(p, "s", "a", 1)).toMatchObject({
      background: true,
      wait: { kind: "port", target: "10911", timeoutMs: 120_000 },
      timeoutMs: 120_000,
    });
    expect(shellOf(p, "s", "a", 2)).toMatchObject({
      wait: { kind: "log", target: "/l", pattern: "ready", timeoutMs: 30_000 },
      timeoutMs: 30_000,
      retries: 2,
      retryDelayMs: 5000,
    });
    expect(actionOf(p, "s", "a", 3)).toEqual({
      kind: "ts",
      source: { file: MAIN, line: 40, col: 1 },
      risk: "change",
      deferred: [],
      code: 'ctx.capture("x", "y");',
      timeoutMs: 60_000,
      retries: 0,
      retryDelayMs: 2000,
    });
  });

  test("phases, prose and notes are carried into the plan", () => {
    const p = plan(md`
      Intro.

      # Install {#install}

      Phase prose.

      ## Start {#start}

      > [!WARNING]
      > Careful.

      Step prose.
    `);
    expect(p.runbook).toMatchObject({ file: MAIN, title: "Cluster", intro: "Intro." });
    expect(p.phases).toEqual([
      {
        id: "install",
        title: "Install",
        prose: "Phase prose.",
        steps: [
          {
            id: "start",
            title: "Start",
            phase: "install",
            prose: "Step prose.",
            notes: [{ level: "warning", text: "Careful.", pos: { file: MAIN, line: 38, col: 1 } }],
            risk: "read",
            targets: [],
            source: { file: MAIN, line: 36, col: 1 },
          },
        ],
      },
    ]);
    expect(p.format).toBe("runbook-plan/1");
    expect(p.inventory).toEqual({ file: INV, sha256: inv.sha256 });
  });
});

describe("plan hash", () => {
  const body = "## S\n~~~sh {on=all}\necho {{ cluster }}\n~~~\n";

  test("is stable across calls and is the hash of the rest of the plan", () => {
    const p1 = plan(body);
    const p2 = plan(body);
    expect(p1.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(p2.hash).toBe(p1.hash);
    const { hash, ...rest } = p1;
    expect(planHash(rest)).toBe(hash);
    // Property order does not matter, content does.
    const reordered = Object.fromEntries(Object.entries(rest).reverse()) as typeof rest;
    expect(planHash(reordered)).toBe(hash);
    expect(planHash({ ...rest, secrets: ["x"] })).not.toBe(hash);
  });

  test("changes with a variable, the runbook text, the inventory and the limit", () => {
    const base = plan(body).hash;
    expect(plan(body, { vars: { cluster: "staging" } }).hash).not.toBe(base);
    expect(plan(body, { vars: { cluster: "prod" } }).hash).not.toBe(base);
    expect(plan(`${body}\nMore prose.\n`).hash).not.toBe(base);
    // Same steps, different bytes (a comment the plan does not show): the source sha changes the hash.
    expect(plan(`${body}\n<!-- note -->\n`).hash).not.toBe(base);
    expect(buildPlan(rb(body), inventory(`${INVENTORY}# a comment\n`)).hash).not.toBe(base);
    expect(plan(body, { limit: ["a"] }).hash).not.toBe(base);
  });

  test("a fragment's text is part of the hash", () => {
    const main = '---\ntitle: T\nroles: [broker-a]\n---\n# P\n{% include "f.md" %}\n';
    const one = parseRunbook(MAIN, memFs({ [MAIN]: main, "f.md": "## F\n" }));
    const two = parseRunbook(MAIN, memFs({ [MAIN]: main, "f.md": "## F\n\n" }));
    expect(buildPlan(one, inv).hash).not.toBe(buildPlan(two, inv).hash);
  });
});
