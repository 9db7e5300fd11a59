// Whatever the input, the parser either returns a runbook or reports RunbookError/RunbookErrors: never a
// crash of another kind (TypeError, ReferenceError, RangeError from a regular expression, ...).

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { RunbookError, RunbookErrors } from "../../src/model/errors.ts";
import { md, parse } from "../helpers/fixtures.ts";

const VALID = md`
  ---
  title: RocketMQ
  summary: Two masters.
  confirm: "{{ cluster }}"
  roles:
    nameserver: { describe: "runs the NameServer" }
    broker-a:
      vars: { broker_name: broker-a }
  groups:
    brokers: [broker-a]
  vars:
    cluster: { default: prod, choices: [prod, test] }
    broker_name: {}
    home: { default: "~/rocketmq", pattern: "^~" }
    password: { secret: true }
  ---
  Intro.

  # Install {#install}

  ## Start the NameServer {#start-ns}

  > [!WARNING]
  > Careful.

  {% hint style="danger" %}
  Really careful.
  {% endhint %}

  ~~~sh {on=nameserver background log="{{ home }}/ns.log" wait-log="{{ home }}/ns.log" wait-for="boot success" timeout=90s}
  nohup {{ home }}/bin/mqnamesrv
  ~~~

  ~~~rollback {on=nameserver when="cluster == 'test'"}
  pkill -f NamesrvStartup
  ~~~

  ## Configure {#configure}

  ~~~properties {file="{{ home }}/conf/broker.properties" on=brokers mode=0600}
  brokerName={{ broker_name }}
  namesrvAddr={{ hosts.nameserver | addr:9876 | join:';' }}
  ~~~

  ~~~sh {on=all capture=pid risk=read retries=2 retry-delay=1s expect="^[0-9]+$"}
  pgrep -f Broker
  ~~~

  ~~~ts {on=@m1}
  await ctx.$("echo {{ pid }}");
  ~~~

  ### Notes

  | a | b |
  | - | - |
`;

const INCLUDE = '\n{% page-ref page="frag.md" %}\n';
const FRAGMENT =
  "---\nvars:\n  extra: { default: x }\n---\n## Fragment step\n~~~sh {on=all}\necho {{ extra }}\n~~~\n";

function parsesOrReports(text: string, others: Record<string, string> = {}): void {
  try {
    parse(text, others);
  } catch (e) {
    if (e instanceof RunbookErrors) {
      expect(e.errors.length).toBeGreaterThan(0);
      for (const x of e.errors) expect(x).toBeInstanceOf(RunbookError);
      return;
    }
    if (e instanceof RunbookError) return;
    throw e;
  }
}

/** Characters that matter to the format. */
const SPECIAL = [
  " ",
  "{",
  "}",
  '"',
  "'",
  "=",
  "#",
  "-",
  "\n",
  "`",
  "~",
  ">",
  "|",
  ":",
  "%",
  "[",
  "]",
  "!",
  "\\",
  "@",
  ",",
  "*",
];

type Edit =
  | { kind: "delete"; at: number; len: number }
  | { kind: "duplicate"; at: number; len: number }
  | { kind: "insert"; at: number; text: string };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.constantFrom(...SPECIAL),
      fc.array(fc.constantFrom(...SPECIAL), { minLength: 1, maxLength: 4 }).map((a) => a.join("")),
      fc.constantFrom(
        "{{",
        "}}",
        "{%",
        "%}",
        "```",
        "~~~",
        "---",
        "## ",
        "# ",
        "{#x}",
        "{{ nope }}",
        "\n~~~sh {on=all}\n",
      ),
      fc.string({ maxLength: 3 }),
    ),
  }),
);

function apply(text: string, edits: Edit[]): string {
  let out = text;
  for (const e of edits) {
    const at = out.length === 0 ? 0 : e.at % (out.length + 1);
    if (e.kind === "delete") out = out.slice(0, at) + out.slice(at + e.len);
    else if (e.kind === "duplicate") out = out.slice(0, at) + out.slice(at, at + e.len) + out.slice(at);
    else out = out.slice(0, at) + e.text + out.slice(at);
  }
  return out;
}

describe("parser robustness (property)", () => {
  test("the valid fixture parses", () => {
    const rb = parse(VALID);
    expect(rb.phases[0]?.steps.map((s) => s.id)).toEqual(["start-ns", "configure"]);
    const withFragment = parse(VALID + INCLUDE, { "frag.md": FRAGMENT });
    expect(withFragment.phases[0]?.steps.map((s) => s.id)).toEqual([
      "start-ns",
      "configure",
      "fragment-step",
    ]);
  });

  test("arbitrary strings: a runbook or a RunbookError, nothing else", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: "binary", maxLength: 100 })),
        (s) => {
          parsesOrReports(s);
          parsesOrReports(`---\ntitle: T\n---\n${s}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("runbooks built from the format's own pieces", () => {
    const frontMatter = fc.subarray([
      "roles: [a, b-c]\n",
      'vars:\n  x: { default: 1 }\n  y: { default: "{{ z }}" }\n  s: { secret: true }\n  c: { choices: [p, q] }\n',
      "groups:\n  g: [a, h]\n",
      'confirm: "{{ x }}"\n',
      "summary: s\n",
    ]);
    const piece = fc.constantFrom(
      "# P\n",
      "## S {#s}\n",
      "## S\n",
      "### Sub\n",
      "~~~sh {on=a}\n",
      "~~~sh {on=g when=\"c == 'r'\" capture=v}\n",
      "~~~rollback {on=all}\n",
      "~~~ini {file=/x on=@m}\n",
      "~~~ts {on=a}\n",
      "~~~\n",
      "```bash\n",
      "```\n",
      "{{ x }}",
      "{{ v }}",
      "{{ hosts.a | addr:x | join:',' }}",
      "{{ nope }}",
      '{% hint style="warning" %}\n',
      "{% endhint %}\n",
      '{% include "frag.md" %}\n',
      "> [!NOTE]\n",
      "> ",
      "- item\n",
      "  ",
      "\n",
      "text ",
    );
    fc.assert(
      fc.property(frontMatter, fc.array(piece, { maxLength: 30 }), (fm, pieces) => {
        parsesOrReports(`---\ntitle: T\n${fm.join("")}---\n${pieces.join("")}`, { "frag.md": FRAGMENT });
        parsesOrReports(pieces.join(""), { "frag.md": FRAGMENT });
      }),
      { numRuns: 300 },
    );
  });

  test("arbitrary mutations of a valid runbook", () => {
    const base = VALID + INCLUDE;
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 5 }), (edits) => {
        parsesOrReports(apply(base, edits), { "frag.md": FRAGMENT });
      }),
      { numRuns: 400 },
    );
  });
});
