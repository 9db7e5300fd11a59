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

/** Parses `text`; returns the errors it reports (none when it parses) and how long it took. */
function answer(text: string): { errors: RunbookError[]; ms: number } {
  const t0 = performance.now();
  let errors: RunbookError[] = [];
  try {
    parse(text);
  } catch (e) {
    if (e instanceof RunbookErrors) errors = e.errors;
    else if (e instanceof RunbookError) errors = [e];
    else throw e;
  }
  return { errors, ms: performance.now() - t0 };
}

const HEAD = "---\ntitle: T\nroles: [web]\nvars:\n  x: { default: a }\n---\n";
const HEAD_LINES = 6;
/** Each shape must be answered in well under this (the old parser took seconds to minutes, or crashed). */
const FAST_MS = 1500;
const TOO_DEEP =
  "lists and block quotes are nested too deeply here (more than 64 levels, a list counting two)";

describe("pathological shapes: an answer in time about linear in the size, never a crash", () => {
  test("a 50,000-deep block quote is refused, naming its line", () => {
    for (const quote of [">".repeat(50_000), "> ".repeat(50_000)]) {
      const { errors, ms } = answer(`${HEAD}${quote}a\n\n## Still read {#still-read}\n`);
      expect(ms).toBeLessThan(FAST_MS);
      expect(errors.map((e) => [e.code, e.message, e.pos?.line, e.pos?.col])).toEqual([
        ["bad-attribute", TOO_DEEP, HEAD_LINES + 1, 1],
      ]);
      expect(errors[0]?.hint).toBe("flatten the list or quote: what is nested deeper would not be read");
    }
  });

  test("500- and 2,000-level nested lists are refused at the line where they get too deep", () => {
    for (const levels of [500, 2000]) {
      const list = Array.from({ length: levels }, (_, i) => `${" ".repeat(2 * i)}- item ${i}`).join("\n");
      const { errors, ms } = answer(`${HEAD}## S\n\n${list}\n`);
      expect(ms).toBeLessThan(FAST_MS);
      // A list level is two of markdown-it's levels (the list and its item): the 32nd item is too deep.
      expect(errors.map((e) => [e.message, e.pos?.line, e.pos?.col])).toEqual([
        [TOO_DEEP, HEAD_LINES + 2 + 32, 2 * 31 + 1],
      ]);
    }
  });

  test("lists and quotes a runbook may really have are read", () => {
    const list = Array.from({ length: 12 }, (_, i) => `${" ".repeat(2 * i)}- item ${i}`).join("\n");
    const { errors } = answer(`${HEAD}## S\n\n${list}\n\n${"> ".repeat(20)}quoted\n`);
    expect(errors).toEqual([]);
  });

  test("`*` x 8,000, `[` x 50,000 and other inline runs, in prose and in headings", () => {
    const shapes = [
      "*".repeat(8000),
      "[".repeat(50_000),
      `## ${"*".repeat(8000)}`,
      `## ${"[".repeat(50_000)}`,
      `## ${"`a".repeat(25_000)}`,
      `## ${"*a **b ".repeat(10_000)}`,
      `## a${" ".repeat(100_000)}b {#spaced}`,
      "{{".repeat(50_000),
      `${"{{ x }} ".repeat(20_000)}`,
    ];
    for (const shape of shapes) {
      const { errors, ms } = answer(`${HEAD}${shape}\n`);
      expect(ms).toBeLessThan(FAST_MS);
      expect(errors).toEqual([]);
    }
  });

  test("front matter: deep YAML, a merge bomb and a long chain of groups", () => {
    const deep = answer(`---\ntitle: T\nvars: ${"[".repeat(50_000)}\n---\n`);
    expect(deep.ms).toBeLessThan(FAST_MS);
    expect(deep.errors.map((e) => [e.code, e.message, e.pos?.line])).toEqual([
      ["yaml", "the YAML nests more than 200 levels deep", 3],
    ]);
    const dashes = answer(`---\ntitle: T\nvars:\n${"- ".repeat(10_000)}a\n---\n`);
    expect(dashes.errors.map((e) => e.message)).toEqual(["the YAML nests more than 200 levels deep"]);

    // 25 levels of maps that each merge the one before twice: 2^25 entries if expanded.
    let bomb = "---\ntitle: T\nroles:\n  r0: &m0 { describe: x }\n";
    for (let i = 1; i <= 25; i++) bomb += `  r${i}: &m${i} { <<: [*m${i - 1}, *m${i - 1}] }\n`;
    const merged = answer(`${bomb}---\n`);
    expect(merged.ms).toBeLessThan(FAST_MS);
    expect(merged.errors[0]?.message).toMatch(/merges \(<<\) expand to more than 100000 entries$/);

    const groups = Array.from({ length: 3000 }, (_, i) => `  g${i}: [g${i + 1}]`).join("\n");
    const chain = answer(`---\ntitle: T\nroles: [r]\ngroups:\n${groups}\n  g3000: [r]\n---\n`);
    expect(chain.ms).toBeLessThan(FAST_MS);
    expect(chain.errors).toEqual([]);
    const loop = answer(`---\ntitle: T\nroles: [r]\ngroups:\n${groups}\n  g3000: [g0]\n---\n`);
    expect(loop.ms).toBeLessThan(FAST_MS);
    expect(loop.errors.map((e) => e.message.slice(0, 44))).toEqual([
      "group g0 contains itself (g0 -> g1 -> g2 -> ",
    ]);
  });

  test("shell text: deep expansions, many words and many values", () => {
    const action = (body: string) => `${HEAD}## S\n~~~sh {on=web}\n${body}\n~~~\n`;
    const shapes = [
      "${'a'".repeat(20_000),
      "$(".repeat(50_000),
      `sh ${"a {{ x }} ".repeat(10_000)}`,
      `[[ ${"{{ x }} ".repeat(10_000)}`,
      "echo {{ x }}\n".repeat(10_000),
      "cat <<E{{ x }}\n".repeat(5000),
    ];
    for (const body of shapes) {
      const { ms } = answer(action(body));
      expect(ms).toBeLessThan(FAST_MS);
    }
  });
});
