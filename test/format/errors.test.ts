// Every mistake the parser reports: its code, its message, where it points (file:line:col) and its hint.

import { describe, expect, test } from "bun:test";
import { validateRunbook } from "../../src/format/validate.ts";
import type { ErrorCode } from "../../src/model/errors.ts";
import { RunbookError, RunbookErrors } from "../../src/model/errors.ts";
import type { ShellAction } from "../../src/model/runbook.ts";
import { DIR, errorsOf, MAIN, md, parse, parseError, thrown, where } from "../helpers/fixtures.ts";

/** Front matter of 9 lines, then `# Phase` (line 10) and `## Step` (line 11): a case's body starts at line 12. */
const HEAD = md`
  ---
  title: T
  roles: [nameserver, broker-a]
  groups:
    brokers: [broker-a]
  vars:
    rocketmq_home: { default: "~/rocketmq" }
    source: { default: maven, choices: [maven, archive] }
  ---
  # Phase
  ## Step
`;

interface Case {
  name: string;
  body: string;
  code: ErrorCode;
  message: string;
  at: string;
  hint?: string;
}

const L = (line: number, col: number) => `${MAIN}:${line}:${col}`;

const bodyCases: Case[] = [
  {
    name: "unknown attribute, with the nearest valid name",
    body: '~~~sh {on=nameserver wiat-for="ready"}\nx\n~~~',
    code: "unknown-attribute",
    message: 'unknown attribute "wiat-for" on a sh block',
    at: L(12, 22),
    hint: 'did you mean "wait-for"?',
  },
  {
    name: "unknown attribute with nothing close lists the allowed ones",
    body: "~~~rollback {on=nameserver risk=read}\nx\n~~~",
    code: "unknown-attribute",
    message: 'unknown attribute "risk" on a rollback block',
    at: L(12, 28),
    hint: "attributes here: on, when, as, timeout",
  },
  {
    name: "attribute of another kind of block (capture on a file block)",
    body: "~~~ini {on=nameserver file=/x capture=y}\nx\n~~~",
    code: "unknown-attribute",
    message: 'unknown attribute "capture" on a file block',
    at: L(12, 31),
    hint: "attributes here: on, when, as, file, mode, risk, confirm, serial, max-fail, pause, gate",
  },
  {
    name: "unknown role in on=, with a suggestion",
    body: "~~~sh {on=brokr-a}\nx\n~~~",
    code: "unknown-role",
    message: 'role or group "brokr-a" in on= is not declared',
    at: L(12, 1),
    hint: 'did you mean "broker-a"? (declared: nameserver, broker-a, brokers, all)',
  },
  {
    name: "unknown group in on=, with a suggestion",
    body: "~~~sh {on=nameserver,brokerz}\nx\n~~~",
    code: "unknown-role",
    message: 'role or group "brokerz" in on= is not declared',
    at: L(12, 1),
    hint: 'did you mean "brokers"? (declared: nameserver, broker-a, brokers, all)',
  },
  {
    name: "unknown role in on= with nothing close",
    body: "~~~sh {on=zookeeper}\nx\n~~~",
    code: "unknown-role",
    message: 'role or group "zookeeper" in on= is not declared',
    at: L(12, 1),
    hint: "declared: nameserver, broker-a, brokers, all; add it under roles: or groups:",
  },
  {
    name: "a machine target that is not a name",
    body: "~~~sh {on=@-x}\nx\n~~~",
    code: "unknown-target",
    message: '"@-x" is not a machine name',
    at: L(12, 1),
    hint: "write on=@machine-name",
  },
  {
    name: "undefined variable in a command, with a suggestion (points at the {{ in the body)",
    body: "~~~sh {on=nameserver}\necho start\n  ls {{ rocketmq_hom }}/bin\n~~~",
    code: "undefined-variable",
    message: 'variable "rocketmq_hom" is not declared',
    at: L(14, 6),
    hint: 'did you mean "rocketmq_home"?',
  },
  {
    name: "undefined variable with nothing close",
    body: "~~~sh {on=nameserver}\necho {{ zzz_top }}\n~~~",
    code: "undefined-variable",
    message: 'variable "zzz_top" is not declared',
    at: L(13, 6),
    hint: "declare it in the front matter under vars:, or capture it in an earlier step",
  },
  {
    name: "undefined variable in a file block's content",
    body: "~~~ini {on=nameserver file=/x}\na=1\nb={{ sourse }}\n~~~",
    code: "undefined-variable",
    message: 'variable "sourse" is not declared',
    at: L(14, 3),
    hint: 'did you mean "source"?',
  },
  {
    name: "undefined variable in an attribute points at the block",
    body: '~~~sh {on=nameserver wait-cmd="test -d {{ home }}"}\nx\n~~~',
    code: "undefined-variable",
    message: 'variable "home" is not declared',
    at: L(12, 1),
  },
  {
    name: "undefined variable in a rollback",
    body: "~~~sh {on=nameserver}\nx\n~~~\n~~~rollback {on=nameserver}\nrm -rf {{ rocketmq_hme }}\n~~~",
    code: "undefined-variable",
    message: 'variable "rocketmq_hme" is not declared',
    at: L(16, 8),
    hint: 'did you mean "rocketmq_home"?',
  },
  {
    name: "unknown host field",
    body: "~~~sh {on=nameserver}\necho {{ host.adress }}\n~~~",
    code: "undefined-variable",
    message: "{{ host.adress }}: host has name, address, user, port",
    at: L(13, 6),
    hint: 'did you mean "address"?',
  },
  {
    name: "hosts of an unknown role",
    body: "~~~sh {on=nameserver}\necho {{ hosts.nameservr | join:',' }}\n~~~",
    code: "unknown-role",
    message: "role or group \"nameservr\" in {{ hosts.nameservr | join:',' }} is not declared",
    at: L(13, 6),
    hint: 'did you mean "nameserver"? (declared: nameserver, broker-a, brokers, all)',
  },
  {
    name: "runbook has only a title",
    body: "~~~sh {on=nameserver}\necho {{ runbook.name }}\n~~~",
    code: "undefined-variable",
    message: "{{ runbook.name }}: only runbook.title is known",
    at: L(13, 6),
  },
  {
    name: "a variable has no fields",
    body: "~~~sh {on=nameserver}\necho {{ source.x }}\n~~~",
    code: "undefined-variable",
    message: "{{ source.x }}: source has no fields",
    at: L(13, 6),
    hint: "write {{ source }}",
  },
  {
    name: "a filter argument naming an undeclared variable",
    body: "~~~sh {on=nameserver}\necho {{ hosts.brokers | addr:broker_prt | join:',' }}\n~~~",
    code: "undefined-variable",
    message: "variable \"broker_prt\" in {{ hosts.brokers | addr:broker_prt | join:',' }} is not declared",
    at: L(13, 6),
    hint: "declare it under vars:, or quote it if it is text",
  },
  {
    name: "unknown filter",
    body: "~~~sh {on=nameserver}\necho {{ source | upper }}\n~~~",
    code: "bad-template",
    message: 'unknown filter "upper" in {{ source | upper }}',
    at: L(13, 6),
    hint: "filters are addr, join, first, default, raw",
  },
  {
    name: "unclosed {{",
    body: "~~~sh {on=nameserver}\necho {{ source\n~~~",
    code: "bad-template",
    message: "a {{ is not closed with }}",
    at: L(13, 6),
    hint: "close the variable with }}",
  },
  {
    name: "bad duration",
    body: "~~~sh {on=nameserver timeout=5x}\nx\n~~~",
    code: "bad-attribute",
    message: "timeout=5x is not a duration",
    at: L(12, 22),
    hint: "write timeout=90s, timeout=5m or timeout=1h",
  },
  {
    name: "bad retry-delay",
    body: "~~~sh {on=nameserver retry-delay=soon}\nx\n~~~",
    code: "bad-attribute",
    message: "retry-delay=soon is not a duration",
    at: L(12, 22),
    hint: "write retry-delay=90s, retry-delay=5m or retry-delay=1h",
  },
  {
    name: "bad risk, with the nearest tier",
    body: "~~~sh {on=nameserver risk=destructiv}\nx\n~~~",
    code: "bad-attribute",
    message: "risk=destructiv is not a risk tier",
    at: L(12, 22),
    hint: 'did you mean "destructive"?',
  },
  {
    name: "bad risk with nothing close",
    body: "~~~sh {on=nameserver risk=dangerous}\nx\n~~~",
    code: "bad-attribute",
    message: "risk=dangerous is not a risk tier",
    at: L(12, 22),
    hint: "use one of read, change, destructive",
  },
  {
    name: "keep-going on a command that changes something",
    body: "~~~sh {on=nameserver keep-going}\nx\n~~~",
    code: "bad-attribute",
    message: "keep-going is only for read-only checks, and this action is risk=change",
    at: L(12, 22),
    hint: "add risk=read if the command changes nothing; a change that failed must stop the run",
  },
  {
    name: "keep-going takes no value",
    body: "~~~sh {on=nameserver risk=read keep-going=yes}\nx\n~~~",
    code: "bad-attribute",
    message: "keep-going is a flag and takes no value",
    at: L(12, 32),
    hint: "write just keep-going",
  },
  {
    name: "a keep-going check in a step that also changes something",
    body: "~~~sh {on=nameserver risk=read keep-going}\nx\n~~~\n\n~~~sh {on=nameserver}\ny\n~~~",
    code: "bad-attribute",
    message: "step step has a keep-going check and an action that is risk=change",
    at: L(16, 1),
    hint: "put the check in a step of its own: a step that changes something must stop the run when it fails",
  },
  {
    name: "wait-log without wait-for",
    body: "~~~sh {on=nameserver background wait-log=/tmp/x.log}\nx\n~~~",
    code: "bad-attribute",
    message: "wait-log needs wait-for (the line to wait for)",
    at: L(12, 33),
    hint: 'write wait-log="path/to.log" wait-for="regular expression"',
  },
  {
    name: "wait-for without wait-log",
    body: "~~~sh {on=nameserver wait-for=ready}\nx\n~~~",
    code: "bad-attribute",
    message: "wait-for needs wait-log (the file to watch)",
    at: L(12, 22),
    hint: 'write wait-log="path/to.log" wait-for="regular expression"',
  },
  {
    name: "two waits on one action",
    body: "~~~sh {on=nameserver wait-port=1 wait-cmd=true}\nx\n~~~",
    code: "bad-attribute",
    message: "only one wait per action: wait-log/wait-for, wait-port or wait-cmd",
    at: L(12, 1),
    hint: "split the waits into separate actions",
  },
  {
    name: "wait-port that is not a port",
    body: "~~~sh {on=nameserver wait-port=http}\nx\n~~~",
    code: "bad-attribute",
    message: "wait-port=http is not a port",
    at: L(12, 22),
    hint: "write wait-port=9876 or wait-port=host:9876",
  },
  {
    name: "wait-for that is not a regular expression",
    body: '~~~sh {on=nameserver wait-log=/x wait-for="boot (ok"}\nx\n~~~',
    code: "bad-attribute",
    message: "wait-for= is not a valid regular expression: Invalid regular expression: missing )",
    at: L(12, 34),
    hint: "escape special characters such as ( [ . with a backslash, written \\\\ in a fence's attributes (Markdown removes one before punctuation)",
  },
  {
    name: "expect that is not a regular expression",
    body: '~~~sh {on=nameserver expect="[a"}\nx\n~~~',
    code: "bad-attribute",
    message:
      "expect= is not a valid regular expression: Invalid regular expression: missing terminating ] for character class",
    at: L(12, 22),
  },
  {
    name: "when= with a value not among the variable's choices",
    body: "~~~sh {on=nameserver when=\"source == 'mavn'\"}\nx\n~~~",
    code: "bad-attribute",
    message: 'when= compares source with "mavn", which is not one of its choices',
    at: L(12, 1),
    hint: 'did you mean "maven"?',
  },
  {
    name: "when= with a value far from every choice",
    body: "~~~sh {on=nameserver when=\"source != 'tarball'\"}\nx\n~~~",
    code: "bad-attribute",
    message: 'when= compares source with "tarball", which is not one of its choices',
    at: L(12, 1),
    hint: "choices: maven, archive",
  },
  {
    name: "when= with an undeclared variable",
    body: "~~~sh {on=nameserver when=\"sorce == 'maven'\"}\nx\n~~~",
    code: "undefined-variable",
    message: 'when= uses variable "sorce", which is not declared',
    at: L(12, 1),
    hint: 'did you mean "source"?',
  },
  {
    name: "when= that is not a condition",
    body: "~~~sh {on=nameserver when=\"source = 'maven'\"}\nx\n~~~",
    code: "bad-attribute",
    message: "cannot read the condition \"source = 'maven'\" in when=",
    at: L(12, 1),
    hint: "write when=\"variable == 'value'\" (also !=, &&, ||)",
  },
  {
    name: "a flag with a value",
    body: "~~~sh {on=nameserver background=yes}\nx\n~~~",
    code: "bad-attribute",
    message: "background is a flag and takes no value",
    at: L(12, 22),
    hint: "write just background",
  },
  {
    name: "a valued attribute written as a flag",
    body: "~~~sh {on=nameserver risk}\nx\n~~~",
    code: "bad-attribute",
    message: "risk needs a value",
    at: L(12, 22),
    hint: "write risk=value",
  },
  {
    name: "an attribute with an empty value",
    body: "~~~sh {on=nameserver timeout= risk=read}\nx\n~~~",
    code: "bad-attribute",
    message: "timeout= has no value",
    at: L(12, 22),
    hint: "write timeout=value or remove it",
  },
  {
    name: "an attribute given twice",
    body: "~~~sh {on=nameserver risk=read risk=change}\nx\n~~~",
    code: "bad-attribute",
    message: "attribute risk is given twice",
    at: L(12, 32),
    hint: "keep one of them",
  },
  {
    name: "a block without on=",
    body: "~~~sh {risk=read}\nx\n~~~",
    code: "bad-attribute",
    message: "this block has no on= (which machines it runs on)",
    at: L(12, 1),
    hint: "add on=ROLE, on=GROUP, on=all or on=@machine",
  },
  {
    name: "an attribute list not closed",
    body: "~~~sh {on=nameserver\nx\n~~~",
    code: "bad-attribute",
    message: "attribute list is not closed with }",
    at: L(12, 7),
    hint: "add the missing }",
  },
  {
    name: "a quoted value not closed",
    body: '~~~sh {on=nameserver expect="abc}\nx\n~~~',
    code: "bad-attribute",
    message: "attribute list is not closed with }",
    at: L(12, 7),
  },
  {
    name: "text after the attribute list",
    body: "~~~sh {on=nameserver} risk=read\nx\n~~~",
    code: "bad-attribute",
    message: 'unexpected text after the attribute list: "risk=read"',
    at: L(12, 22),
    hint: "put every attribute inside the braces",
  },
  {
    name: "a stray character in the attribute list",
    body: "~~~sh {on=nameserver =x}\nx\n~~~",
    code: "bad-attribute",
    message: 'unexpected "=" in the attribute list',
    at: L(12, 22),
    hint: 'attributes are key=value, key="value with spaces" or a bare flag',
  },
  {
    name: "an id on a code block",
    body: "~~~sh {#start on=nameserver}\nx\n~~~",
    code: "bad-attribute",
    message: "an id (#start) belongs on the step heading, not on a code block",
    at: L(12, 1),
    hint: "move {#start} to the end of the ## heading",
  },
  {
    name: "attributes on a block of another language without file=",
    body: "~~~python {on=nameserver}\nx\n~~~",
    code: "bad-attribute",
    message: "a ```python block with attributes must have file= (a file block), or be sh, rollback or ts",
    at: L(12, 1),
    hint: 'add file="path" to write it to the machine, or remove the {…} to keep it as documentation',
  },
  {
    name: "attributes on a block with no language",
    body: "~~~ {on=nameserver}\nx\n~~~",
    code: "bad-attribute",
    message: "a code block with attributes needs a language",
    at: L(12, 1),
    hint: "write ```sh {on=...} for a command",
  },
  {
    name: "retries out of range",
    body: "~~~sh {on=nameserver retries=-1}\nx\n~~~",
    code: "bad-attribute",
    message: "retries must be a whole number from 0 to 100",
    at: L(12, 22),
  },
  {
    name: "a mode that is not octal",
    body: "~~~ini {on=nameserver file=/x mode=0999}\nx\n~~~",
    code: "bad-attribute",
    message: "mode=0999 is not an octal file mode",
    at: L(12, 31),
    hint: "write mode=0644",
  },
  {
    name: "capture into a name that is not a variable name",
    body: "~~~sh {on=nameserver capture=Broker-PID}\nx\n~~~",
    code: "bad-attribute",
    message: "capture=Broker-PID is not a variable name",
    at: L(12, 22),
    hint: "use lower case letters, digits and _",
  },
  {
    name: "log= without background",
    body: "~~~sh {on=nameserver log=/tmp/x}\nx\n~~~",
    code: "bad-attribute",
    message: "log= only applies to background commands",
    at: L(12, 22),
    hint: "add background or remove log=",
  },
  {
    name: "capture of a background command",
    body: "~~~sh {on=nameserver background capture=pid}\nx\n~~~",
    code: "bad-attribute",
    message: "a background command has no output to capture",
    at: L(12, 33),
    hint: "capture from a separate, foreground command",
  },
  {
    name: "unterminated fence",
    body: "Text.\n\n~~~sh {on=nameserver}\necho never closed\n",
    code: "unterminated-fence",
    message: "code block opened with ~~~ is never closed",
    at: L(14, 1),
    hint: "close it with a line of ~~~ (everything after it was being read as code)",
  },
  {
    name: "unterminated backtick fence inside a list",
    body: "- item\n\n  ````\n  code\n",
    code: "unterminated-fence",
    message: "code block opened with ```` is never closed",
    at: L(14, 3),
  },
  {
    name: "heading attribute other than an id",
    body: "## Another {#another risk=read}",
    code: "bad-attribute",
    message: "a heading takes only an id, not risk=",
    at: L(12, 22),
    hint: "put attributes on the step's code blocks",
  },
  {
    name: "an id that does not start with a letter or digit",
    body: "## Another {#-x}",
    code: "bad-attribute",
    message: "an id after # must start with a letter or digit",
    at: L(12, 13),
    hint: "write {#my-step}",
  },
  {
    name: "unclosed hint",
    body: 'Text.\n\n{% hint style="warning" %}\nCareful.\n',
    code: "bad-attribute",
    message: "{% hint %} is never closed",
    at: L(14, 1),
    hint: "add {% endhint %} after the hint's text",
  },
  {
    name: "endhint without hint",
    body: "Text.\n\n  {% endhint %}\n",
    code: "bad-attribute",
    message: "{% endhint %} without a {% hint %}",
    at: L(14, 3),
    hint: "remove it or open the hint before",
  },
  {
    name: "a hint inside a hint",
    body: '{% hint style="info" %}\na\n{% hint style="danger" %}\nb\n{% endhint %}\n',
    code: "bad-attribute",
    message: "a hint is opened inside another hint",
    at: L(14, 1),
    hint: "close the first one with {% endhint %}",
  },
  {
    name: "a heading inside a hint",
    body: '{% hint style="info" %}\na\n\n## Next\n{% endhint %}\n',
    code: "bad-attribute",
    message: "a heading inside a hint",
    at: L(15, 1),
    hint: "close the hint with {% endhint %} before the heading",
  },
  {
    name: "an action inside a hint",
    body: '{% hint style="info" %}\n~~~sh {on=nameserver}\nx\n~~~\n{% endhint %}\n',
    code: "bad-attribute",
    message: "an action inside a hint",
    at: L(13, 1),
    hint: "move the block out of the {% hint %}",
  },
  {
    name: "missing include",
    body: 'Before.\n\n{% include "fragments/nope.md" %}\n',
    code: "include-missing",
    message: `included file fragments/nope.md does not exist (looked for ${DIR}/fragments/nope.md)`,
    at: L(14, 1),
    hint: "the path is relative to the including file",
  },
  {
    name: "missing page-ref",
    body: '{% page-ref page="../elsewhere.md" %}\n',
    code: "include-missing",
    message: "included file ../elsewhere.md does not exist (looked for /elsewhere.md)",
    at: L(12, 1),
  },
  {
    name: "page-ref without a page",
    body: '{% page-ref url="x.md" %}\n',
    code: "include-missing",
    message: "page-ref without a page",
    at: L(12, 1),
    hint: 'write {% page-ref page="fragments/x.md" %}',
  },
  {
    name: "include without a quoted path",
    body: "{% include fragments/x.md %}\n",
    code: "include-missing",
    message: "include without a quoted path",
    at: L(12, 1),
    hint: 'write {% include "fragments/x.md" %}',
  },
];

describe("errors in the body, each with code, message, file:line:col and hint", () => {
  for (const c of bodyCases) {
    test(c.name, () => {
      const e = parseError(`${HEAD}${c.body}`);
      expect(e).toBeInstanceOf(RunbookError);
      expect({ code: e.code, message: e.message, at: where(e) }).toEqual({
        code: c.code,
        message: c.message,
        at: c.at,
      });
      if (c.hint !== undefined) expect(e.hint).toBe(c.hint);
    });
  }
});

describe("errors in the structure", () => {
  test("duplicate step id names the line of the first one", () => {
    const e = parseError(md`
      ---
      title: T
      ---
      # P
      ## Start the broker

      ## Other {#start-the-broker}
    `);
    expect(e.code).toBe("duplicate-id");
    // Task 4 of the markdown-it branch: the message names both headings, the hint says what to write.
    expect(e.message).toBe(
      'step id "start-the-broker" is used twice: by "Other" and by "Start the broker" (main.md:5)',
    );
    expect(where(e)).toBe(L(7, 1));
    expect(e.hint).toBe("end one of them with {#another-id}");
  });

  test("a fragment included twice: generated step ids get a suffix, a written one is an error", () => {
    const main = '---\ntitle: T\n---\n# P\n{% include "f.md" %}\n\n{% include "f.md" %}\n';
    const rb = parse(main, { "f.md": "\n## Shared\n" });
    expect(rb.phases[0]?.steps.map((s) => s.id)).toEqual(["shared", "shared-2"]);
    const e = parseError(main, { "f.md": "\n## Shared {#shared}\n" });
    expect(e.code).toBe("duplicate-id");
    expect(e.message).toBe('step id "shared" is used twice: the file with "Shared" is included twice');
    expect(where(e)).toBe(`${DIR}/f.md:2:1`);
    expect(e.hint).toBe(
      "include it once, or remove the {#shared} from its heading so that each inclusion gets an id of its own",
    );
  });

  test("duplicate phase id: a generated one gets a suffix, a written one is an error", () => {
    expect(parse("---\ntitle: T\n---\n# Setup\n\n# Setup\n").phases.map((p) => p.id)).toEqual([
      "setup",
      "setup-2",
    ]);
    const e = parseError("---\ntitle: T\n---\n# Setup\n\n# Again {#setup}\n");
    expect(e.code).toBe("duplicate-id");
    expect(e.message).toBe('phase id "setup" is used twice: by "Again" and by "Setup" (main.md:4)');
    expect(where(e)).toBe(L(6, 1));
  });

  test("include cycle a -> b -> a", () => {
    const e = parseError('---\ntitle: T\n---\n{% include "b.md" %}\n', {
      "b.md": '## B\n\n  {% page-ref page="main.md" %}\n',
    });
    expect(e.code).toBe("include-cycle");
    expect(e.message).toBe("include cycle: main.md -> b.md -> main.md");
    expect(where(e)).toBe(`${DIR}/b.md:3:3`);
    expect(e.hint).toBe("remove one of the includes in the loop");
  });

  test("a file including itself", () => {
    const e = parseError('---\ntitle: T\n---\n{% include "./main.md" %}\n');
    expect(e.code).toBe("include-cycle");
    expect(e.message).toBe("include cycle: main.md -> main.md");
    expect(where(e)).toBe(L(4, 1));
  });

  test("a longer include cycle a -> b -> c -> b", () => {
    const e = parseError('---\ntitle: T\n---\n{% include "b.md" %}\n', {
      "b.md": '{% include "c.md" %}\n',
      "c.md": '{% include "b.md" %}\n',
    });
    expect(e.message).toBe("include cycle: main.md -> b.md -> c.md -> b.md");
    expect(where(e)).toBe(`${DIR}/c.md:1:1`);
  });

  test("action outside a step", () => {
    const e = parseError("---\ntitle: T\nroles: [web]\n---\n# Phase\n\n~~~sh {on=web}\nx\n~~~\n");
    expect(e.code).toBe("bad-attribute");
    expect(e.message).toBe("this action is not inside a step");
    expect(where(e)).toBe(L(7, 1));
    expect(e.hint).toBe("put a ## heading (the step) above it");
  });

  test("an action nested in a list item is an error, not silently prose", () => {
    const e = parseError(
      "---\ntitle: T\nroles: [web]\n---\n## S\n\n1. Stop it:\n\n   ~~~sh {on=web}\n   stop\n   ~~~\n",
    );
    expect(e.code).toBe("bad-attribute");
    expect(e.message).toBe("an action inside a list or a quote is never run");
    expect(where(e)).toBe(L(9, 4));
    expect(e.hint).toBe("move the block to the start of the line, outside the list or quote");
  });

  test("an action nested in a block quote is an error too", () => {
    const e = parseError("---\ntitle: T\nroles: [web]\n---\n## S\n\n> ~~~sh {on=web}\n> stop\n> ~~~\n");
    expect(e.message).toBe("an action inside a list or a quote is never run");
    expect(where(e)).toBe(L(7, 3));
  });

  test("a file with no title", () => {
    const e = parseError("---\nsummary: s\n---\n# P\n");
    expect(e.code).toBe("front-matter");
    expect(where(e)).toBe(L(1, 1));
    expect(e.hint).toBe(
      "a runbook starts with ---, title: ..., --- (a fragment is checked through the runbooks that include it)",
    );
  });
});

describe("errors in the front matter", () => {
  const fmCases: {
    name: string;
    yaml: string;
    code: ErrorCode;
    message: string;
    at: string;
    hint?: string;
  }[] = [
    {
      name: "bad YAML points at the line in the file, not in the YAML block",
      yaml: "title: T\nvars:\n  a: { default: 1\n  b: 2\n",
      code: "yaml",
      message: "invalid YAML: Flow map in block collection must be sufficiently indented and end with a }",
      at: L(5, 3),
      hint: "check the indentation and the colons of this line",
    },
    {
      name: "bad YAML: a nested mapping on one line",
      yaml: "title: T\nsummary: a: b\n",
      code: "yaml",
      message: "invalid YAML: Nested mappings are not allowed in compact mappings",
      at: L(3, 10),
      hint: "fix the YAML at this line (quote values containing : or #)",
    },
    {
      name: "bad YAML: a repeated key",
      yaml: "title: T\ntitle: U\n",
      code: "yaml",
      message: "invalid YAML: Map keys must be unique",
      at: L(3, 1),
      hint: "remove or rename the repeated key",
    },
    {
      name: "front matter that is not a mapping",
      yaml: "- title\n",
      code: "front-matter",
      message: "front matter must be a mapping (title: ..., vars: ...)",
      at: L(2, 1),
    },
    {
      name: "unknown front-matter key, with a suggestion",
      yaml: "title: T\nsumary: s\n",
      code: "unknown-key",
      message: 'unknown key "sumary" in the front matter',
      at: L(3, 1),
      hint: 'did you mean "summary"?',
    },
    {
      name: "unknown front-matter key with nothing close",
      yaml: "title: T\nauthor: me\n",
      code: "unknown-key",
      message: 'unknown key "author" in the front matter',
      at: L(3, 1),
      hint: "allowed keys: title, summary, confirm, roles, groups, vars",
    },
    {
      name: "unknown key of a variable",
      yaml: "title: T\nvars:\n  a: { defualt: 1 }\n",
      code: "unknown-key",
      message: 'unknown key "defualt" in variable a',
      at: L(4, 8),
      hint: 'did you mean "default"?',
    },
    {
      name: "unknown key of a role",
      yaml: "title: T\nroles:\n  web:\n    describ: x\n",
      code: "unknown-key",
      message: 'unknown key "describ" in role web',
      at: L(5, 5),
      hint: 'did you mean "describe"?',
    },
    {
      name: "secret with a default",
      yaml: "title: T\nvars:\n  admin_password: { secret: true, default: hunter2 }\n",
      code: "front-matter",
      message: "secret variable admin_password has a default",
      at: L(4, 3),
      hint: "a secret must never be written in a runbook; remove the default and supply it at run time",
    },
    {
      name: "secret that is not true or false",
      yaml: "title: T\nvars:\n  pw: { secret: yes }\n",
      code: "front-matter",
      message: "secret of pw must be true or false",
      at: L(4, 17),
    },
    {
      name: "a pattern that is not a regular expression",
      yaml: 'title: T\nvars:\n  heap: { pattern: "[0-9" }\n',
      code: "front-matter",
      message: "pattern of heap is not a valid regular expression",
      at: L(4, 20),
    },
    {
      name: "a variable name that is not allowed",
      yaml: "title: T\nvars:\n  Heap-Size: 1\n",
      code: "front-matter",
      message: 'variable name "Heap-Size" is not allowed',
      at: L(4, 3),
      hint: "variable names are lower case letters, digits and _ (broker_port)",
    },
    {
      name: "a role name that is not allowed",
      yaml: "title: T\nroles: [Web Server]\n",
      code: "front-matter",
      message: 'role name "Web Server" is not allowed',
      at: L(3, 9),
      hint: "use lower case letters, digits, - and _ (broker-a)",
    },
    {
      name: "a title that is not text",
      yaml: "title: [a]\n",
      code: "front-matter",
      message: "title must be text",
      at: L(2, 8),
    },
    {
      name: "choices that are not a list",
      yaml: "title: T\nvars:\n  a: { choices: x }\n",
      code: "front-matter",
      message: "choices of a must be a list such as [a, b]",
      at: L(4, 17),
    },
    {
      name: "a default that is a list",
      yaml: "title: T\nvars:\n  a: { default: [1] }\n",
      code: "front-matter",
      message: "default of a must be text, a number or true/false",
      at: L(4, 17),
    },
    {
      name: "vars that are not a mapping",
      yaml: "title: T\nvars: [a, b]\n",
      code: "front-matter",
      message: "vars must be a mapping of name: value",
      at: L(3, 7),
    },
  ];
  for (const c of fmCases) {
    test(c.name, () => {
      const e = parseError(`---\n${c.yaml}---\n`);
      expect({ code: e.code, message: e.message, at: where(e) }).toEqual({
        code: c.code,
        message: c.message,
        at: c.at,
      });
      if (c.hint !== undefined) expect(e.hint).toBe(c.hint);
    });
  }

  test("a YAML error in a fragment points into the fragment", () => {
    const e = parseError('---\ntitle: T\n---\n{% include "f.md" %}\n', {
      "f.md": "---\nvars:\n  x: [\n---\n",
    });
    expect(e.code).toBe("yaml");
    expect(e.pos?.file).toBe(`${DIR}/f.md`);
    expect(e.pos?.line).toBeGreaterThanOrEqual(3);
  });
});

describe("whole-runbook checks", () => {
  const declarationCases: {
    name: string;
    yaml: string;
    code: ErrorCode;
    message: string;
    at: string;
    hint?: string;
  }[] = [
    {
      name: "role vars for an undeclared variable, with a suggestion",
      yaml: "title: T\nroles:\n  broker-a:\n    vars: { broker_nam: a }\nvars:\n  broker_name: {}\n",
      code: "undefined-variable",
      message: "role broker-a sets variable broker_nam, which is not declared",
      at: L(4, 3),
      hint: 'did you mean "broker_name"?',
    },
    {
      name: "role vars for an undeclared variable with nothing close",
      yaml: "title: T\nroles:\n  broker-a:\n    vars: { zone: east }\n",
      code: "undefined-variable",
      message: "role broker-a sets variable zone, which is not declared",
      at: L(4, 3),
      hint: 'declare it under vars: (zone: { describe: "..." })',
    },
    {
      name: "a group naming an unknown role",
      yaml: "title: T\nroles: [broker-a]\ngroups:\n  brokers: [broker-a, broker-b]\n",
      code: "unknown-role",
      message: 'role or group "broker-b" in group brokers is not declared',
      at: L(5, 3),
      hint: 'did you mean "broker-a"? (declared: broker-a, brokers, all)',
    },
    {
      name: "an undeclared variable inside a default points at the variable",
      yaml: 'title: T\nvars:\n  home: { default: "/opt" }\n  bin:\n    default: "/x/{{ hom }}/bin"\n',
      code: "undefined-variable",
      message: 'variable "hom" is not declared',
      at: L(5, 3),
      hint: 'did you mean "home"?',
    },
    {
      name: "a default that is not among the choices",
      yaml: "title: T\nvars:\n  source: { default: svn, choices: [git, maven] }\n",
      code: "bad-variable",
      message: "default of source is not one of its choices (git, maven)",
      at: L(4, 3),
    },
    {
      name: "a default using an undeclared variable",
      yaml: 'title: T\nvars:\n  home: { default: "/opt" }\n  bin: { default: "{{ hom }}/bin" }\n',
      code: "undefined-variable",
      message: 'variable "hom" is not declared',
      at: L(5, 3),
      hint: 'did you mean "home"?',
    },
  ];
  for (const c of declarationCases) {
    test(c.name, () => {
      const e = parseError(`---\n${c.yaml}---\n`);
      expect({ code: e.code, message: e.message, at: where(e) }).toEqual({
        code: c.code,
        message: c.message,
        at: c.at,
      });
      if (c.hint !== undefined) expect(e.hint).toBe(c.hint);
    });
  }

  test("groups that contain each other: the loop is reported from each of its groups", () => {
    const errors = errorsOf(() =>
      parse("---\ntitle: T\nroles: [a]\ngroups:\n  g1: [a, g2]\n  g2: [g1]\n---\n"),
    );
    expect(errors.map((e) => [e.code, e.message, where(e)])).toEqual([
      ["front-matter", "group g1 contains itself (g1 -> g2 -> g1)", L(5, 3)],
      ["front-matter", "group g2 contains itself (g2 -> g1 -> g2)", L(6, 3)],
    ]);
  });

  test("every problem is reported at once, in document order", () => {
    const text = md`
      ---
      title: T
      roles:
        web:
          vars: { prot: 1 }
      groups:
        front: [web, cache]
      vars:
        port: { default: 80 }
        mode: { default: a, choices: [a, b] }
      ---
      # P
      ## Start
      ~~~sh {on=wbe}
      echo {{ prot }}
      ~~~
      ## Start {#start}
      ~~~sh {on=web when="mode == 'c'"}
      echo {{ host.nam }}
      ~~~
      ~~~rollback {on=front}
      undo {{ mdoe }}
      ~~~
    `;
    const e = thrown(() => parse(text));
    expect(e).toBeInstanceOf(RunbookErrors);
    const errors = (e as RunbookErrors).errors;
    expect(errors.map((x) => [x.code, x.message, where(x)])).toEqual([
      ["unknown-role", 'role or group "cache" in group front is not declared', L(7, 3)],
      ["undefined-variable", "role web sets variable prot, which is not declared", L(4, 3)],
      ["unknown-role", 'role or group "wbe" in on= is not declared', L(14, 1)],
      ["undefined-variable", 'variable "prot" is not declared', L(15, 6)],
      ["duplicate-id", 'step id "start" is used twice: by "Start" and by "Start" (main.md:13)', L(17, 1)],
      ["bad-attribute", 'when= compares mode with "c", which is not one of its choices', L(18, 1)],
      ["undefined-variable", "{{ host.nam }}: host has name, address, user, port", L(19, 6)],
      ["undefined-variable", 'variable "mdoe" is not declared', L(22, 6)],
    ]);
    expect(errors[1]?.hint).toBe('did you mean "port"?');
    expect(errors[3]?.hint).toBe('did you mean "port"?');
    expect(errors[7]?.hint).toBe('did you mean "mode"?');
    // The combined message lists them all, one per line, in file:line:col form.
    expect(e instanceof Error && e.message.split("\n").filter((l) => l.startsWith(MAIN))).toHaveLength(8);
  });

  test("validateRunbook called directly collects every problem of a runbook", () => {
    const runbook = parse("---\ntitle: T\nroles: [web]\n---\n## A\n~~~sh {on=web}\ntrue\n~~~\n");
    expect(() => validateRunbook(runbook)).not.toThrow();
    const step = runbook.phases[0]?.steps[0];
    if (!step) throw new Error("no step");
    const pos = { file: MAIN, line: 99, col: 1 };
    runbook.phases[0]?.steps.push({ ...step, pos });
    step.actions.push({ ...(step.actions[0] as ShellAction), on: ["db"], command: "echo {{ x }}\n", pos });
    const e = thrown(() => validateRunbook(runbook));
    expect(e).toBeInstanceOf(RunbookErrors);
    expect((e as RunbookErrors).errors.map((x) => x.code)).toEqual([
      "unknown-role",
      "undefined-variable",
      "duplicate-id",
      "unknown-role",
      "undefined-variable",
    ]);
  });

  test("RunbookError.format gives file:line:col, the message and the hint, relative to cwd", () => {
    const e = new RunbookError("yaml", "bad", { file: "/w/runbooks/x.md", line: 3, col: 9 }, "fix it");
    expect(e.format("/w")).toBe("runbooks/x.md:3:9: bad\n  hint: fix it");
    expect(e.format("/elsewhere")).toBe("/w/runbooks/x.md:3:9: bad\n  hint: fix it");
    expect(new RunbookError("usage", "no pos").format()).toBe("no pos");
  });
});

describe("every problem of a file in one pass", () => {
  const all = (text: string, others: Record<string, string> = {}) =>
    errorsOf(() => parse(text, others)).map((e) => [e.code, e.message, where(e)]);

  test("three independent mistakes in three blocks and one in the front matter: all four, in order", () => {
    const text = md`
      ---
      title: T
      sumary: one line
      roles: [web]
      ---
      # P
      ## A
      ~~~sh {on=web wiat-for=ready}
      a
      ~~~
      ## B
      ~~~sh {on=web timeout=5x}
      b
      ~~~
      ## C
      ~~~sh {on=web risk=destructiv}
      c
      ~~~
    `;
    expect(all(text)).toEqual([
      ["unknown-key", 'unknown key "sumary" in the front matter', L(3, 1)],
      ["unknown-attribute", 'unknown attribute "wiat-for" on a sh block', L(8, 15)],
      ["bad-attribute", "timeout=5x is not a duration", L(12, 15)],
      ["bad-attribute", "risk=destructiv is not a risk tier", L(16, 15)],
    ]);
    const e = thrown(() => parse(text));
    expect(e).toBeInstanceOf(RunbookErrors);
    expect((e as RunbookErrors).errors[1]?.hint).toBe('did you mean "wait-for"?');
  });

  test("several mistakes in one block, and whole-runbook problems after the parser's", () => {
    const text = md`
      ---
      title: T
      roles: [web]
      ---
      ## A
      ~~~sh {on=web retries=x timeout=1y background=yes risk=read keep-going}
      a
      ~~~
      ## B
      ~~~sh {on=wbe}
      echo {{ nope }} {{ host.adress }}
      ~~~
    `;
    expect(all(text)).toEqual([
      ["bad-attribute", "retries must be a whole number from 0 to 100", L(6, 15)],
      ["bad-attribute", "timeout=1y is not a duration", L(6, 25)],
      ["bad-attribute", "background is a flag and takes no value", L(6, 36)],
      ["unknown-role", 'role or group "wbe" in on= is not declared', L(10, 1)],
      ["undefined-variable", 'variable "nope" is not declared', L(11, 6)],
      ["undefined-variable", "{{ host.adress }}: host has name, address, user, port", L(11, 17)],
    ]);
  });

  test("front matter: every bad key and value, and a declaration with a mistake is still declared", () => {
    const text = md`
      ---
      title: T
      author: me
      roles:
        web: { describ: x }
      vars:
        port: { default: 80, secret: yes }
        home: { defualt: /opt }
      ---
      ## A
      ~~~sh {on=web}
      echo {{ port }} {{ home }}
      ~~~
    `;
    expect(all(text)).toEqual([
      ["unknown-key", 'unknown key "author" in the front matter', L(3, 1)],
      ["unknown-key", 'unknown key "describ" in role web', L(5, 10)],
      ["front-matter", "secret of port must be true or false", L(7, 32)],
      ["unknown-key", 'unknown key "defualt" in variable home', L(8, 11)],
    ]);
  });

  test("invalid YAML: the body's own problems are still reported, not the variables it declared", () => {
    const text = md`
      ---
      title: T
      roles: [web
      vars: { x: 1 }
      ---
      ## A
      ~~~sh {on=web timeout=5x}
      echo {{ x }}
      ~~~
    `;
    expect(all(text).map(([code, , at]) => [code, at])).toEqual([
      ["yaml", L(4, 1)],
      ["bad-attribute", L(7, 15)],
    ]);
  });

  test("tags, hints and includes: each problem, and reading goes on after it", () => {
    const text = md`
      ---
      title: T
      roles: [web]
      ---
      ## A
      {% endhint %}
      {% include "missing.md" %}
      {% page-ref url="x.md" %}
      {% hint style="info" %}
      ~~~sh {on=web}
      a
      ~~~
      {% endhint %}
      ~~~sh {on=web mode=1}
      b
      ~~~
      {% hint style="warning" %}
      never closed
    `;
    expect(all(text)).toEqual([
      ["bad-attribute", "{% endhint %} without a {% hint %}", L(6, 1)],
      ["include-missing", `included file missing.md does not exist (looked for ${DIR}/missing.md)`, L(7, 1)],
      ["include-missing", "page-ref without a page", L(8, 1)],
      ["bad-attribute", "an action inside a hint", L(10, 1)],
      ["unknown-attribute", 'unknown attribute "mode" on a sh block', L(14, 15)],
      ["bad-attribute", "{% hint %} is never closed", L(17, 1)],
    ]);
  });

  test("an unclosed fence and an action in a list are reported with the rest", () => {
    const text = md`
      ---
      title: T
      roles: [web]
      ---
      ## A
      - item

        ~~~sh {on=web}
        a
        ~~~

      ~~~sh {on=web timeout=never}
      b
      ~~~

      ~~~sh {on=web}
      never closed
    `;
    expect(all(text)).toEqual([
      ["bad-attribute", "an action inside a list or a quote is never run", L(8, 3)],
      ["bad-attribute", "timeout=never is not a duration", L(12, 15)],
      ["unterminated-fence", "code block opened with ~~~ is never closed", L(16, 1)],
    ]);
  });

  test("every bad {{ }} of one text, and a refused block's capture still counts as known", () => {
    const text = md`
      ---
      title: T
      roles: [web]
      vars:
        home: {}
      ---
      ## A
      ~~~sh {on=web capture=pid timeout=x}
      pgrep x
      ~~~
      ~~~sh {on=web}
      echo {{ pid }} {{ hme }} {{ home | upper }} {{ hom }}
      ~~~
    `;
    expect(all(text)).toEqual([
      ["bad-attribute", "timeout=x is not a duration", L(8, 27)],
      ["undefined-variable", 'variable "hme" is not declared', L(12, 16)],
      ["bad-template", 'unknown filter "upper" in {{ home | upper }}', L(12, 26)],
      ["undefined-variable", 'variable "hom" is not declared', L(12, 45)],
    ]);
  });

  test("a refused block's targets and variables are still checked", () => {
    const text = "---\ntitle: T\nroles: [web]\n---\n## A\n~~~sh {on=wbe timeout=3x}\necho {{ nope }}\n~~~\n";
    expect(all(text)).toEqual([
      ["bad-attribute", "timeout=3x is not a duration", L(6, 15)],
      ["unknown-role", 'role or group "wbe" in on= is not declared', L(6, 1)],
      ["undefined-variable", 'variable "nope" is not declared', L(7, 6)],
    ]);
  });

  test("a fragment included twice reports its problems once", () => {
    const errors = all(
      '---\ntitle: T\nroles: [web]\n---\n# P\n{% include "f.md" %}\n{% include "f.md" %}\n',
      {
        "f.md": "## F {#f}\n~~~sh {on=web retries=many}\nx\n~~~\n",
      },
    );
    expect(errors).toEqual([
      ["bad-attribute", "retries must be a whole number from 0 to 100", `${DIR}/f.md:2:15`],
      ["duplicate-id", 'step id "f" is used twice: the file with "F" is included twice', `${DIR}/f.md:1:1`],
    ]);
  });
});

describe("{{ }} in prose, notes and documentation blocks", () => {
  const all = (text: string, others: Record<string, string> = {}) =>
    errorsOf(() => parse(text, others)).map((e) => [e.code, e.message, where(e), e.hint]);
  const FM = "---\ntitle: T\nroles: [web]\nvars:\n  home: { default: /opt }\n---\n";

  test("an undeclared name is an error wherever it stands, with the did-you-mean of actions", () => {
    const text = `${FM}${md`
      Intro: {{ hom }}.

      # Phase {{ hme }}

      Phase prose {{ homme }}.

      ## Step {{ home }} and {{ hoem }}

      Step prose, then {{ home }} (declared) and {{ zzz }}.

      ### Details {{ hm }}

      > [!WARNING]
      > Deletes {{ homee }}.

      {% hint style="info" %}
      Hint {{ ome }}.
      {% endhint %}

      ~~~bash
      ls {{ hoome }}
      ~~~

      - a list {{ host.adress }}
    `}`;
    const D = 'did you mean "home"?';
    expect(all(text)).toEqual([
      ["undefined-variable", 'variable "hom" is not declared', L(7, 8), D],
      ["undefined-variable", 'variable "hme" is not declared', L(9, 9), D],
      ["undefined-variable", 'variable "homme" is not declared', L(11, 13), D],
      ["undefined-variable", 'variable "hoem" is not declared', L(13, 24), D],
      [
        "undefined-variable",
        'variable "zzz" is not declared',
        L(15, 44),
        "declare it in the front matter under vars:, or capture it in an earlier step",
      ],
      ["undefined-variable", 'variable "hm" is not declared', L(17, 13), D],
      ["undefined-variable", 'variable "homee" is not declared', L(20, 11), D],
      ["undefined-variable", 'variable "ome" is not declared', L(23, 6), D],
      ["undefined-variable", 'variable "hoome" is not declared', L(27, 4), D],
      [
        "undefined-variable",
        "{{ host.adress }}: host has name, address, user, port",
        L(30, 10),
        'did you mean "address"?',
      ],
    ]);
  });

  test("text in braces that is not this syntax stays text; an unknown filter or field is an error", () => {
    const ok = `${FM}${md`
      ## Deploy the chart

      ~~~yaml
      image: {{ .Values.image }}
      {{- range $k, $v := .Values.env }}
      {{ include "x.tpl" . | nindent 4 }}
      {{ toYaml .Values.resources }}
      {{ item.name | default(5) }}
      {{ }}
      ~~~

      An open {{ brace is text too.
    `}`;
    expect(() => parse(ok)).not.toThrow();
    const bad = `${FM}## S\n\nUse {{ home | upper }}, {{ hosts.nope }} and {{ runbook.name }}.\n`;
    expect(all(bad).map(([code, message, at]) => [code, message, at])).toEqual([
      ["bad-template", 'unknown filter "upper" in {{ home | upper }}', L(9, 5)],
      ["unknown-role", 'role or group "nope" in {{ hosts.nope }} is not declared', L(9, 25)],
      ["undefined-variable", "{{ runbook.name }}: only runbook.title is known", L(9, 46)],
    ]);
  });

  test("a captured variable is known in prose from the step that captures it on", () => {
    const text = `${FM}${md`
      ## Before

      Not yet: {{ pid }}.

      ## Capture

      ~~~sh {on=web capture=pid}
      pgrep x
      ~~~

      Captured here: {{ pid }}.

      ## After

      Still known: {{ pid }}.
    `}`;
    expect(all(text).map(([, message, at]) => [message, at])).toEqual([
      ['variable "pid" is not declared', L(9, 10)],
    ]);
  });

  test("a fragment's introduction is checked where it is, in the fragment", () => {
    const errors = all(`${FM}## S\n{% include "f.md" %}\n`, {
      "f.md": "Fragment intro {{ hoem }}.\n\n## F {#f}\n",
    });
    expect(errors.map(([, message, at]) => [message, at])).toEqual([
      ['variable "hoem" is not declared', `${DIR}/f.md:1:16`],
    ]);
  });
});
