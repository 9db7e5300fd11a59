import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { parseRunbook, slug } from "../../src/format/parse-runbook.ts";
import type { Action, FileAction, ShellAction, Step, TsAction } from "../../src/model/runbook.ts";
import { DIR, MAIN, md, memFs, parse } from "../helpers/fixtures.ts";

const FM = md`
  ---
  title: T
  roles: [web, db]
  ---
`;

/** A runbook with the standard front matter (5 lines: ---, title, roles, ---, blank) and `body`. */
function withBody(body: string) {
  return parse(`${FM}\n${body}`);
}

function steps(rb: ReturnType<typeof parse>): Step[] {
  return rb.phases.flatMap((p) => p.steps);
}

function step(rb: ReturnType<typeof parse>, id: string): Step {
  const s = steps(rb).find((x) => x.id === id);
  if (!s) throw new Error(`no step ${id}; have ${steps(rb).map((x) => x.id)}`);
  return s;
}

function only<T extends Action["kind"]>(s: Step, kind: T): Extract<Action, { kind: T }> {
  expect(s.actions).toHaveLength(1);
  const a = s.actions[0] as Action;
  expect(a.kind).toBe(kind);
  return a as Extract<Action, { kind: T }>;
}

describe("front matter", () => {
  test("title, summary, confirm and roles as a list", () => {
    const rb = parse(md`
      ---
      title: Install the thing
      summary: One line for the list.
      confirm: "{{ cluster }}"
      roles: [nameserver, broker-a]
      vars:
        cluster: { default: prod }
      ---
    `);
    expect(rb.file).toBe(MAIN);
    expect(rb.title).toBe("Install the thing");
    expect(rb.summary).toBe("One line for the list.");
    expect(rb.confirm).toBe("{{ cluster }}");
    expect(rb.roles).toEqual([
      { name: "nameserver", vars: {}, pos: { file: MAIN, line: 5, col: 9 } },
      { name: "broker-a", vars: {}, pos: { file: MAIN, line: 5, col: 21 } },
    ]);
    expect(rb.phases).toEqual([]);
  });

  test("roles as a map with describe and vars", () => {
    const rb = parse(md`
      ---
      title: T
      roles:
        nameserver: { describe: "runs the NameServer" }
        broker-a:
          describe: first master
          vars: { broker_name: broker-a, broker_id: 0, sync: true }
      vars:
        broker_name: {}
        broker_id: {}
        sync: {}
      ---
    `);
    expect(rb.roles).toEqual([
      { name: "nameserver", describe: "runs the NameServer", vars: {}, pos: { file: MAIN, line: 4, col: 3 } },
      {
        name: "broker-a",
        describe: "first master",
        vars: { broker_name: "broker-a", broker_id: 0, sync: true },
        pos: { file: MAIN, line: 5, col: 3 },
      },
    ]);
  });

  test("a role written with no declaration has no vars", () => {
    const rb = parse(md`
      ---
      title: T
      roles:
        web:
      ---
    `);
    expect(rb.roles.map((r) => [r.name, r.vars, r.describe])).toEqual([["web", {}, undefined]]);
  });

  test("groups of roles and of other groups", () => {
    const rb = parse(md`
      ---
      title: T
      roles: [a, b, c]
      groups:
        ab: [a, b]
        every: [ab, c]
      ---
    `);
    expect(rb.groups).toEqual([
      { name: "ab", members: ["a", "b"], pos: { file: MAIN, line: 5, col: 3 } },
      { name: "every", members: ["ab", "c"], pos: { file: MAIN, line: 6, col: 3 } },
    ]);
  });

  test("vars with every field, and the shorthand default", () => {
    const rb = parse(md`
      ---
      title: T
      vars:
        home: { default: "~/app", describe: "install directory" }
        heap: { default: 256m, pattern: "^[0-9]+[mg]$" }
        source: { default: maven, choices: [maven, archive, git] }
        password: { describe: "console password", secret: true }
        extra: { default: "", raw: true }
        port: 9876
        debug: false
        bare:
      ---
    `);
    const byName = Object.fromEntries(rb.vars.map((v) => [v.name, v]));
    expect(rb.vars.map((v) => v.name)).toEqual([
      "home",
      "heap",
      "source",
      "password",
      "extra",
      "port",
      "debug",
      "bare",
    ]);
    expect(byName.home).toEqual({
      name: "home",
      default: "~/app",
      describe: "install directory",
      secret: false,
      raw: false,
      pos: { file: MAIN, line: 4, col: 3 },
    });
    expect(byName.heap?.pattern).toBe("^[0-9]+[mg]$");
    expect(byName.heap?.default).toBe("256m");
    expect(byName.source?.choices).toEqual(["maven", "archive", "git"]);
    expect(byName.password).toMatchObject({ secret: true, raw: false, describe: "console password" });
    expect(byName.password?.default).toBeUndefined();
    expect(byName.extra).toMatchObject({ default: "", raw: true, secret: false });
    expect(byName.port?.default).toBe(9876);
    expect(byName.debug?.default).toBe(false);
    expect(byName.bare?.default).toBeUndefined();
  });

  test("a file with no front matter and a title is refused", () => {
    expect(() => parse("# Phase\n")).toThrow("this file has no title in its front matter");
  });
});

describe("phases and steps", () => {
  test("ids are slugs of the headings unless written as {#id}; level 3 headings are prose", () => {
    const text = md`
      ---
      title: T
      roles: [web]
      ---
      Intro text, before any phase.

      # Install the Server {#install}

      The phase's own prose.

      ## Start the NameServer

      Step prose.

      ### Details

      More prose under a level-3 heading.

      ## Check it, (again)! {#check-it}

      # Second phase: clean up
    `;
    const rb = parse(text);
    expect(rb.intro).toBe("Intro text, before any phase.");
    expect(rb.phases.map((p) => [p.id, p.title, p.prose])).toEqual([
      ["install", "Install the Server", "The phase's own prose."],
      ["second-phase-clean-up", "Second phase: clean up", ""],
    ]);
    expect(rb.phases[0]?.pos).toEqual({ file: MAIN, line: 7, col: 1 });
    const [a, b] = rb.phases[0]?.steps ?? [];
    expect(a?.id).toBe("start-the-nameserver");
    expect(a?.title).toBe("Start the NameServer");
    expect(a?.pos).toEqual({ file: MAIN, line: 11, col: 1 });
    expect(a?.prose).toBe("Step prose.\n\n### Details\n\nMore prose under a level-3 heading.");
    expect(b?.id).toBe("check-it");
    expect(b?.title).toBe("Check it, (again)!");
    expect(rb.phases[1]?.steps).toEqual([]);
  });

  test("steps before any phase belong to an unnamed phase", () => {
    const rb = withBody(md`
      Intro.

      ## First step

      # A phase

      ## Second step
    `);
    expect(rb.phases.map((p) => [p.id, p.title, p.steps.map((s) => s.id)])).toEqual([
      ["steps", "", ["first-step"]],
      ["a-phase", "A phase", ["second-step"]],
    ]);
    expect(rb.intro).toBe("Intro.");
  });

  test("closed fences without attributes inside quotes and lists stay prose", () => {
    const rb = withBody(md`
      ## S

      > Run this:
      >
      > ~~~bash
      > echo quoted
      > ~~~

      1. Then this:

         ~~~sh
         echo listed
         ~~~
    `);
    const s = step(rb, "s");
    expect(s.actions).toEqual([]);
    expect(s.prose).toBe(
      "> Run this:\n>\n> ~~~bash\n> echo quoted\n> ~~~\n\n1. Then this:\n\n   ~~~sh\n   echo listed\n   ~~~",
    );
  });

  test("a heading with no letters gets a positional id", () => {
    const rb = withBody(md`
      # !!!

      ## ???
    `);
    expect(rb.phases[0]?.id).toBe("phase-1");
    expect(rb.phases[0]?.steps[0]?.id).toBe("step-8");
  });

  test("slug", () => {
    expect(slug("Start the NameServer", "x")).toBe("start-the-nameserver");
    expect(slug("  --Hello,  World--  ", "x")).toBe("hello-world");
    // Letters and digits of every script are kept (they used to be dropped: "n-code-only", "fallback").
    expect(slug("Ünïcode only", "x")).toBe("ünïcode-only");
    expect(slug("日本", "fallback")).toBe("日本");
    expect(slug("单Master模式", "x")).toBe("单master模式");
    expect(slug("!!! ???", "fallback")).toBe("fallback");
  });

  test("ids keep the letters of every script: 单Master模式 and 多Master模式 are two steps", () => {
    const rb = withBody(md`
      # 部署

      ## 单Master模式

      ## 多Master模式

      ## हिन्दी चरण

      ## Cafe\u0301 (décomposé)
    `);
    expect(rb.phases[0]?.id).toBe("部署");
    expect(rb.phases[0]?.steps.map((s) => s.id)).toEqual([
      "单master模式",
      "多master模式",
      "हिन्दी-चरण",
      "café-décomposé",
    ]);
  });

  test("a generated id that an earlier one has gets -2, -3 in document order, skipping ids in use", () => {
    const rb = withBody(md`
      # Check

      ## Check

      ## Check

      ## Check 2

      ## Check

      ## Other {#check-4}

      # Check

      ## ???

      ## ???
    `);
    expect(rb.phases.map((p) => p.id)).toEqual(["check", "check-2"]);
    expect(rb.phases.flatMap((p) => p.steps.map((s) => s.id))).toEqual([
      "check",
      "check-3",
      "check-2",
      "check-5",
      "check-4",
      "step-20",
      "step-22",
    ]);
  });

  test("a phase heading whose id is that of the unnamed phase of loose steps gets a suffix", () => {
    const rb = withBody("## Loose\n\n# Steps\n\n## In it\n");
    expect(rb.phases.map((p) => [p.id, p.title])).toEqual([
      ["steps", ""],
      ["steps-2", "Steps"],
    ]);
  });

  test("prose keeps tables, lists, plain code blocks and unknown fences without attributes", () => {
    const rb = withBody(md`
      # P

      ## S

      | a | b |
      | - | - |
      | 1 | 2 |

      - one
      - two

      ~~~bash
      echo documentation only
      ~~~

      ~~~
      no language
      ~~~
    `);
    const s = step(rb, "s");
    expect(s.actions).toEqual([]);
    expect(s.prose).toBe(
      [
        "| a | b |\n| - | - |\n| 1 | 2 |",
        "- one\n- two",
        "~~~bash\necho documentation only\n~~~",
        "~~~\nno language\n~~~",
      ].join("\n\n"),
    );
  });
});

describe("shell actions", () => {
  test("sh, bash and shell are all shell actions with the defaults", () => {
    const rb = withBody(md`
      # P
      ## S
      ~~~sh {on=web}
      echo one
      ~~~
      ~~~bash {on=db}
      echo two
      ~~~
      ~~~shell {on="web, db"}
      echo three
      ~~~
    `);
    const s = step(rb, "s");
    expect(s.actions.map((a) => a.kind)).toEqual(["shell", "shell", "shell"]);
    expect(s.actions[0]).toEqual({
      kind: "shell",
      on: ["web"],
      when: undefined,
      pos: { file: MAIN, line: 8, col: 1 },
      command: "echo one\n",
      risk: "change",
      confirm: undefined,
      background: false,
      log: undefined,
      wait: undefined,
      timeoutMs: undefined,
      retries: 0,
      retryDelayMs: 2000,
      capture: undefined,
      expect: undefined,
      keepGoing: false,
    });
    expect(s.actions[2]?.on).toEqual(["web", "db"]);
    expect(s.prose).toBe("");
  });

  test("keep-going marks a read-only check; the planned step carries it", () => {
    const rb = withBody(md`
      ## S
      ~~~sh {on=web risk=read keep-going}
      test -d /
      ~~~
      ~~~ts {on=db risk=read keep-going}
      ctx.capture("x", "y");
      ~~~
    `);
    expect(step(rb, "s").actions.map((a) => a.kind !== "file" && a.keepGoing)).toEqual([true, true]);
  });

  test("backtick fences work the same as tilde fences", () => {
    const rb = withBody("# P\n## S\n```sh {on=web risk=read}\nls\n```\n```bash\nnot an action\n```\n");
    const s = step(rb, "s");
    expect(only(s, "shell")).toMatchObject({ command: "ls\n", risk: "read", on: ["web"] });
    expect(s.prose).toBe("```bash\nnot an action\n```");
  });

  test("every attribute of a shell action", () => {
    const rb = parse(md`
      ---
      title: T
      roles: [web, db]
      groups:
        both: [web, db]
      vars:
        mode: { default: a, choices: [a, b] }
      ---
      # P
      ## S
      ~~~sh {on=web,db,@m1 when="mode == 'a'" risk=destructive confirm=yes-really timeout=90s retries=3 retry-delay=500ms capture=out expect="^OK"}
      echo OK
      ~~~
      ~~~sh {on=both background log=/tmp/x.log wait-log=/tmp/x.log wait-for="Started \\d+" timeout=5m}
      ./start
      ~~~
      ~~~sh {on=all wait-port=9876 timeout=1h}
      ./serve
      ~~~
      ~~~sh {on=web wait-port=10.0.0.1:80}
      true
      ~~~
      ~~~sh {on=web wait-cmd="curl -sf localhost:8080/health" timeout=2}
      ./up
      ~~~
    `);
    const [a, b, c, d, e] = step(rb, "s").actions as ShellAction[];
    expect(a).toMatchObject({
      on: ["web", "db", "@m1"],
      when: "mode == 'a'",
      risk: "destructive",
      confirm: "yes-really",
      timeoutMs: 90_000,
      retries: 3,
      retryDelayMs: 500,
      capture: "out",
      expect: "^OK",
      background: false,
      wait: undefined,
    });
    expect(b).toMatchObject({
      on: ["both"],
      background: true,
      log: "/tmp/x.log",
      wait: { kind: "log", target: "/tmp/x.log", pattern: "Started \\d+" },
      timeoutMs: 300_000,
    });
    expect(c?.wait).toEqual({ kind: "port", target: "9876" });
    expect(c?.timeoutMs).toBe(3_600_000);
    expect(c?.on).toEqual(["all"]);
    expect(d?.wait).toEqual({ kind: "port", target: "10.0.0.1:80" });
    expect(e?.wait).toEqual({ kind: "command", target: "curl -sf localhost:8080/health" });
    expect(e?.timeoutMs).toBe(2000);
  });

  test("quoted attribute values may hold the other quote, spaces, } and {{ }}", () => {
    const rb = parse(md`
      ---
      title: T
      roles: [web]
      vars:
        port: { default: 80 }
      ---
      ## S
      ~~~sh {on=web wait-cmd="grep 'a}b' f && nc -z localhost {{ port }}" expect='say "hi"'}
      true
      ~~~
    `);
    const a = step(rb, "s").actions[0] as ShellAction;
    expect(a.wait).toEqual({ kind: "command", target: "grep 'a}b' f && nc -z localhost {{ port }}" });
    expect(a.expect).toBe('say "hi"');
  });

  test("an unquoted value may use a variable", () => {
    const rb = parse(md`
      ---
      title: T
      roles: [web]
      vars:
        port: { default: 80 }
      ---
      ## S
      ~~~sh {on=web wait-port={{port}}}
      true
      ~~~
    `);
    expect((step(rb, "s").actions[0] as ShellAction).wait).toEqual({ kind: "port", target: "{{port}}" });
  });

  test("an empty block is an action with an empty command", () => {
    const rb = withBody("## S\n~~~sh {on=web}\n~~~\n");
    expect(only(step(rb, "s"), "shell").command).toBe("");
  });
});

describe("rollback, file and ts blocks", () => {
  test("rollback blocks belong to their step with their own targets", () => {
    const rb = parse(md`
      ---
      title: T
      roles: [web, db]
      vars:
        mode: { default: a, choices: [a, b] }
      ---
      ## S
      ~~~sh {on=web,db}
      start
      ~~~
      ~~~rollback {on=web timeout=30s}
      stop web
      ~~~
      ~~~rollback {on=db when="mode != 'b'"}
      stop db
      ~~~
    `);
    const s = step(rb, "s");
    expect(s.actions).toHaveLength(1);
    expect(s.rollbacks).toEqual([
      {
        on: ["web"],
        when: undefined,
        pos: { file: MAIN, line: 11, col: 1 },
        command: "stop web\n",
        timeoutMs: 30_000,
      },
      {
        on: ["db"],
        when: "mode != 'b'",
        pos: { file: MAIN, line: 14, col: 1 },
        command: "stop db\n",
        timeoutMs: undefined,
      },
    ]);
  });

  test("any language with file= is a file block, mode defaults to 0644", () => {
    const rb = parse(md`
      ---
      title: T
      roles: [web]
      vars:
        dir: { default: /etc/app }
      ---
      ## S
      ~~~properties {file="{{ dir }}/broker.properties" on=web}
      brokerName={{ dir }}
      ~~~
      ~~~ini {file=/etc/x.ini mode=0600 on=web risk=destructive confirm=ok}
      [x]
      ~~~
      ~~~sh {file=/usr/local/bin/run on=web mode=755}
      #!/bin/sh
      ~~~
      ~~~ {file=/etc/empty on=web}
      ~~~
    `);
    const [a, b, c, d] = step(rb, "s").actions as FileAction[];
    expect(a).toEqual({
      kind: "file",
      on: ["web"],
      when: undefined,
      pos: { file: MAIN, line: 8, col: 1 },
      path: "{{ dir }}/broker.properties",
      content: "brokerName={{ dir }}\n",
      mode: "0644",
      lang: "properties",
      risk: "change",
      confirm: undefined,
    });
    expect(b).toMatchObject({ kind: "file", mode: "0600", risk: "destructive", confirm: "ok", lang: "ini" });
    expect(c).toMatchObject({ kind: "file", lang: "sh", mode: "755", content: "#!/bin/sh\n" });
    expect(d).toMatchObject({ kind: "file", lang: "", path: "/etc/empty", content: "" });
  });

  test("ts and typescript blocks are TypeScript actions", () => {
    const rb = withBody(md`
      ## S
      ~~~ts {on=web risk=read timeout=20s retries=2 retry-delay=1s}
      const r = await ctx.$("uname");
      ctx.capture("os", r.stdout);
      ~~~
      ~~~typescript {on=db}
      ctx.ask("go?");
      ~~~
    `);
    const [a, b] = step(rb, "s").actions as TsAction[];
    expect(a).toEqual({
      kind: "ts",
      on: ["web"],
      when: undefined,
      pos: { file: MAIN, line: 7, col: 1 },
      code: 'const r = await ctx.$("uname");\nctx.capture("os", r.stdout);',
      risk: "read",
      confirm: undefined,
      timeoutMs: 20_000,
      retries: 2,
      retryDelayMs: 1000,
      keepGoing: false,
    });
    expect(b).toMatchObject({ kind: "ts", on: ["db"], risk: "change", retries: 0, retryDelayMs: 2000 });
  });
});

describe("notes and hints", () => {
  test("GitHub alerts become notes of the step; plain quotes stay prose", () => {
    const rb = withBody(md`
      ## S

      > [!WARNING]
      > This deletes the store.

      > [!CAUTION]
      > Really.

      > [!NOTE]
      > Just so you know.

      > [!tip] lower case works

      > An ordinary quote.
    `);
    const s = step(rb, "s");
    expect(s.notes).toEqual([
      { level: "warning", text: "This deletes the store.", pos: { file: MAIN, line: 8, col: 1 } },
      { level: "danger", text: "Really.", pos: { file: MAIN, line: 11, col: 1 } },
      { level: "info", text: "Just so you know.", pos: { file: MAIN, line: 14, col: 1 } },
      { level: "info", text: "lower case works", pos: { file: MAIN, line: 17, col: 1 } },
    ]);
    expect(s.prose).toBe("> An ordinary quote.");
  });

  test("an alert outside a step is kept in the prose, marked", () => {
    const rb = withBody(md`
      > [!WARNING]
      > Read everything first.

      # P
    `);
    expect(rb.intro).toBe("> **warning:** Read everything first.");
  });

  test("GitBook hints become notes, including one whose endhint follows a list", () => {
    const rb = withBody(md`
      ## S

      {% hint style="warning" %}
      Stop the brokers first.
      {% endhint %}

      {% hint style="danger" %}
      This loses:

      - the store
      - the logs
      {% endhint %}

      {% hint style="info" %}
      FYI.
      {% endhint %}

      {% hint %}
      No style is info.
      {% endhint %}

      After the hints.
    `);
    const s = step(rb, "s");
    expect(s.notes).toEqual([
      { level: "warning", text: "Stop the brokers first.", pos: { file: MAIN, line: 8, col: 1 } },
      {
        level: "danger",
        text: "This loses:\n\n- the store\n- the logs",
        pos: { file: MAIN, line: 12, col: 1 },
      },
      { level: "info", text: "FYI.", pos: { file: MAIN, line: 19, col: 1 } },
      { level: "info", text: "No style is info.", pos: { file: MAIN, line: 23, col: 1 } },
    ]);
    expect(s.prose).toBe("After the hints.");
  });

  test("a hint directly followed by a heading closes before it", () => {
    const rb = withBody(md`
      ## A
      {% hint style="warning" %}
      careful
      {% endhint %}
      ## B
    `);
    expect(step(rb, "a").notes.map((n) => n.text)).toEqual(["careful"]);
    expect(step(rb, "b").notes).toEqual([]);
  });

  test("tags inside a code block are code, not tags", () => {
    const rb = withBody(md`
      ## S
      ~~~sh {on=web}
      echo '{% hint style="warning" %}'
      ~~~
    `);
    expect(only(step(rb, "s"), "shell").command).toBe(`echo '{% hint style="warning" %}'\n`);
  });
});

describe("includes", () => {
  const fragment = md`
    ---
    roles:
      web: { describe: "from the fragment" }
      cache: { describe: "only in the fragment" }
    groups:
      front: [web, cache]
    vars:
      home: { default: "/frag/home", describe: "fragment's" }
      cache_size: { default: 64 }
    ---
    Fragment intro.

    ## Fragment step one {#frag-one}

    ~~~sh {on=front}
    echo {{ home }} {{ cache_size }}
    ~~~

    ## Fragment step two {#frag-two}
  `;

  test("page-ref and include place the fragment's steps at the include point, includer's declarations win", () => {
    const rb = parse(
      md`
        ---
        title: Main
        roles:
          web: { describe: "from main" }
        vars:
          home: { default: "/main/home" }
        ---
        # Phase {#phase}

        ## Before {#before}

        {% page-ref page="fragments/common.md" %}

        ## Middle {#middle}

        {% include "fragments/other.md" %}

        ## After {#after}
      `,
      {
        "fragments/common.md": fragment,
        "fragments/other.md": "## Other {#other}\n\nOther prose.\n",
      },
    );
    expect(rb.phases.map((p) => [p.id, p.steps.map((s) => s.id)])).toEqual([
      ["phase", ["before", "frag-one", "frag-two", "middle", "other", "after"]],
    ]);
    expect(rb.roles.map((r) => [r.name, r.describe])).toEqual([
      ["web", "from main"],
      ["cache", "only in the fragment"],
    ]);
    expect(rb.groups.map((g) => g.name)).toEqual(["front"]);
    expect(rb.vars.map((v) => [v.name, v.default])).toEqual([
      ["home", "/main/home"],
      ["cache_size", 64],
    ]);
    // The fragment's intro lands in the prose where it is included; positions point into the fragment.
    expect(step(rb, "before").prose).toBe("Fragment intro.");
    expect(step(rb, "frag-one").pos).toEqual({ file: `${DIR}/fragments/common.md`, line: 13, col: 1 });
    expect(step(rb, "frag-one").actions[0]?.pos.file).toBe(`${DIR}/fragments/common.md`);
    expect(step(rb, "other").prose).toBe("Other prose.");
  });

  test("includes are relative to the including file, and nest", () => {
    const rb = parse(
      md`
        ---
        title: Main
        ---
        # P
        {% include "a/one.md" %}
      `,
      {
        "a/one.md": '## One\n\n{% include "../b/two.md" %}\n',
        "b/two.md": '## Two\n\n{% include "sub/three.md" %}\n',
        "b/sub/three.md": "## Three\n",
      },
    );
    expect(rb.phases[0]?.steps.map((s) => s.id)).toEqual(["one", "two", "three"]);
    expect(rb.sources.map((s) => s.file)).toEqual([
      MAIN,
      `${DIR}/a/one.md`,
      `${DIR}/b/two.md`,
      `${DIR}/b/sub/three.md`,
    ]);
  });

  test("a fragment's phases take their place among the includer's phases", () => {
    const rb = parse(
      md`
        ---
        title: Main
        ---
        # First

        ## A

        {% include "frag.md" %}

        # Last

        ## Z
      `,
      { "frag.md": "# Frag phase {#fp}\n\n## F1\n\n## F2\n" },
    );
    expect(rb.phases.map((p) => [p.id, p.steps.map((s) => s.id)])).toEqual([
      ["first", ["a"]],
      ["fp", ["f1", "f2"]],
      ["last", ["z"]],
    ]);
  });

  test("sources list every file read once, with its sha256", () => {
    const main = md`
      ---
      title: Main
      ---
      ## A
      {% include "f.md" %}
    `;
    const frag = "## B {#b}\n";
    const rb = parse(main, { "f.md": frag });
    const sha = (t: string) => createHash("sha256").update(t).digest("hex");
    expect(rb.sources).toEqual([
      { file: MAIN, sha256: sha(main) },
      { file: `${DIR}/f.md`, sha256: sha(frag) },
    ]);
  });

  test("parseRunbook resolves a relative runbook path", () => {
    const rb = parseRunbook(
      "rel/main.md",
      memFs({ [`${process.cwd()}/rel/main.md`]: "---\ntitle: R\n---\n" }),
    );
    expect(rb.file).toBe(`${process.cwd()}/rel/main.md`);
    expect(rb.title).toBe("R");
  });
});
