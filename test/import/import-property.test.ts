// Whatever Markdown it is given, import either writes a runbook the project's parser accepts or says
// why it could not (RunbookError "import"): it never throws anything else, and never writes a runbook
// that `runbook check` would refuse.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { readFromDisk } from "../../src/format/load-runbook.ts";
import { parseRunbook } from "../../src/format/parse-runbook.ts";
import { importDocument } from "../../src/import/import-document.ts";
import { RunbookError } from "../../src/model/errors.ts";

const DIR = mkdtempSync(join(tmpdir(), "runbook-import-"));
writeFileSync(join(DIR, "frag.md"), "## A fragment step\n\nSome prose.\n");
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const word = fc.constantFrom(
  "nohup",
  "sh",
  "bin/mqnamesrv",
  "&",
  "tail",
  "-f",
  "~/x.log",
  "cd",
  "dir",
  "192.168.1.1:9876",
  "10.0.0.1",
  "{{",
  "}}",
  "{{ x }}",
  "'",
  '"',
  "`",
  "```",
  "~~~",
  "\\",
  "$",
  ">",
  "#",
  "###",
  "在机器A",
  "machine B",
  "NameServer",
  "...",
  "The boot success...",
  "grep",
  "ls",
  "vim",
  "<your-ip>",
  "{",
  "}",
  "{on=a}",
  "|",
  "&&",
  "<<EOF",
  "EOF",
  "if",
  "then",
  "fi",
  "2019-9-27 21:04:10",
  "**",
  "\\*\\*\\*\\*",
  "{#id}",
  "{% hint %}",
  "-",
  "1.",
  "*",
  ":",
  "=",
  "é",
  "中文",
  "\t",
  "mqadmin",
  "clusterList",
);
const words = fc.array(word, { maxLength: 8 }).map((w) => w.join(" "));
const anyText = fc.oneof(words, fc.string({ maxLength: 20 }), fc.string({ unit: "grapheme", maxLength: 8 }));

const prompt = fc.constantFrom("", "$ ", "> ", "# ", "### ", "user@host:~$ ", "  ");
const codeLine = fc.tuple(prompt, anyText).map(([p, t]) => `${p}${t}`);
const fence = fc
  .tuple(
    fc.constantFrom("```", "~~~", "````"),
    fc.constantFrom("bash", "sh", "", "console", "shell", "yaml", "sh {on=x}", "{x}", "bash `x`"),
    fc.array(codeLine, { maxLength: 6 }),
    fc.boolean(),
  )
  .map(([f, lang, lines, closed]) => [`${f}${lang}`, ...lines, ...(closed ? [f] : [])].join("\n"));

const block = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 6 }), anyText).map(([n, t]) => `${"#".repeat(n)} ${t}`),
  anyText,
  fence,
  fc.tuple(anyText, fence).map(([t, f]) => `1. ${t}\n\n   ${f.split("\n").join("\n   ")}`),
  anyText.map((t) => `**${t}**`),
  anyText.map((t) => `> ${t}`),
  fc.constantFrom('{% hint style="info" %}', '{% hint style="danger" %}', "{% endhint %}"),
  fc.constantFrom(
    '{% page-ref page="frag.md" %}',
    '{% page-ref page="missing.md" %}',
    '{% page-ref page="doc.md" %}',
    '{% include "frag.md" %}',
  ),
  fc.constantFrom("| a | b |\n| --- | --- |\n| 1 | 2 |", "---", "<div>\n\n```sh {on=a}\nls\n```\n\n</div>"),
);
const frontMatter = fc.oneof(
  fc.constant(""),
  anyText.map((t) => `---\ndescription: ${t}\n---\n`),
  fc.constantFrom("---\ntitle: [\n---\n", "---\nvars: {x: 1}\nlayout: y\n---\n", "---\n- a\n---\n"),
);
const document = fc
  .tuple(frontMatter, fc.array(block, { maxLength: 14 }))
  .map(([fm, blocks]) => `${fm}${blocks.join("\n\n")}\n`);

describe("import on arbitrary Markdown", () => {
  test("writes a runbook the parser accepts, or says why not; never throws anything else", () => {
    const file = join(DIR, "doc.md");
    const output = join(DIR, "doc.runbook.md");
    fc.assert(
      fc.property(document, (text) => {
        let runbook: string;
        try {
          runbook = importDocument(file, text, { output }).runbook;
        } catch (e) {
          if (process.env.SHOW_REFUSED) console.error(String(e), JSON.stringify(text));
          expect(e).toBeInstanceOf(RunbookError);
          expect((e as RunbookError).code).toBe("import");
          return;
        }
        parseRunbook(output, (p) => (p === output ? runbook : readFromDisk(p)));
      }),
      { numRuns: 400, seed: 1301 },
    );
    // 400 documents take a few seconds; more on a loaded machine.
  }, 60_000);
});
