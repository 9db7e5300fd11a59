// The Markdown layer (markdown-it): what CommonMark gives the format, and how fast.

import { describe, expect, test } from "bun:test";
import type { ShellAction } from "../../src/model/runbook.ts";
import { MAIN, md, parse } from "../helpers/fixtures.ts";

const RUNBOOK = md`
  ---
  title: T
  roles: [web]
  ---
  Intro.

  # Phase

  ## Step {#step}

  Some prose
  on two lines.

  ~~~sh {on=web wait-cmd="test -f /x"}
  cd /opt
  ls
  ~~~
`;

/** A runbook of `steps` steps in phases of 50, each with a line of prose and a shell action. */
export function syntheticRunbook(steps: number): string {
  let out = "---\ntitle: Synthetic\nroles: [web, db]\nvars:\n  home: { default: /opt/app }\n---\nIntro.\n\n";
  for (let i = 0; i < steps; i++) {
    if (i % 50 === 0) out += `# Phase ${i / 50}\n\n`;
    out += `## Step ${i}\n\nRun it, then read what it prints.\n\n\`\`\`sh {on=web}\necho {{ home }}/${i}\n\`\`\`\n\n`;
  }
  return out;
}

describe("markdown", () => {
  test("a runbook saved with CRLF line endings reads the same as with LF (no \\r in commands)", () => {
    const lf = parse(RUNBOOK);
    const crlf = parse(RUNBOOK.replace(/\n/g, "\r\n"));
    expect(crlf.phases).toEqual(lf.phases);
    const action = crlf.phases[0]?.steps[0]?.actions[0] as ShellAction;
    expect(action.command).toBe("cd /opt\nls\n");
    expect(crlf.phases[0]?.steps[0]?.prose).toBe("Some prose\non two lines.");
  });

  test("a byte order mark before the front matter is not part of it", () => {
    expect(parse(`\uFEFF${RUNBOOK}`).phases).toEqual(parse(RUNBOOK).phases);
  });

  test("an indented code block whose first line starts with ``` is code, not an unclosed fence", () => {
    const rb = parse("---\ntitle: T\n---\n## S\n\n\t```\n\tnot a fence\n\nAfter.\n");
    expect(rb.phases[0]?.steps[0]?.prose).toBe("\t```\n\tnot a fence\n\nAfter.");
  });

  test("heading titles are their plain text: code, emphasis, links, images, entities, escapes, HTML", () => {
    const rb = parse(md`
      ---
      title: T
      ---
      # Install \`mqnamesrv\` *now* {#install}
      ## Read [the docs](https://x.test) and ![the logo *big*](logo.png)
      ## Tom &amp; Jerry \\*not emphasis\\* <b>bold</b>
      ## A <https://a.test/%20x> autolink and a [reference][ref]
      ## \`\`code with \` inside\`\`

      [ref]: https://r.test
    `);
    expect(rb.phases[0]?.title).toBe("Install mqnamesrv now");
    expect(rb.phases[0]?.steps.map((s) => s.title)).toEqual([
      "Read the docs and the logo big",
      "Tom & Jerry *not emphasis* <b>bold</b>",
      "A https://a.test/%20x autolink and a reference",
      "code with ` inside",
    ]);
    expect(rb.phases[0]?.steps[3]?.prose).toBe("[ref]: https://r.test");
  });

  test("a fence's whole info string is read: attributes after the language, escapes removed once", () => {
    const rb = parse(md`
      ---
      title: T
      roles: [web]
      ---
      ## S
      \`\`\`sh {on=web wait-log="/var/log/x.log" wait-for="started \\\\(pid \\\\d+\\\\)" timeout=90s}
      start
      \`\`\`
    `);
    const a = rb.phases[0]?.steps[0]?.actions[0] as ShellAction;
    expect(a.wait).toEqual({ kind: "log", target: "/var/log/x.log", pattern: "started \\(pid \\d+\\)" });
    expect(a.pos).toEqual({ file: MAIN, line: 6, col: 1 });
  });

  test("a 5,000-step runbook (about 440 KB) parses in well under two seconds", () => {
    const text = syntheticRunbook(5000);
    expect(text.length).toBeGreaterThan(430_000);
    const t0 = performance.now();
    const rb = parse(text);
    const ms = performance.now() - t0;
    expect(rb.phases.flatMap((p) => p.steps)).toHaveLength(5000);
    expect(ms).toBeLessThan(2000);
  });
});
