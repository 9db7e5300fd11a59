import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { cleanup } from "ink-testing-library";
import { detailLines, wrapLines } from "../../src/ui/components/step-details.tsx";
import { KEYS, planOf, renderApp, stepOf } from "./render-app.tsx";

// Screens are polled for, not waited for by the clock: generous on a loaded machine, quick otherwise.
setDefaultTimeout(30_000);

afterEach(() => cleanup());

const LONG = `---
title: Long
roles: [app]
---

# P

## A long step {#long}

${Array.from({ length: 12 }, (_, i) => `Paragraph line ${i + 1}.`).join("\n")}

\`\`\`sh {on=app}
${Array.from({ length: 30 }, (_, i) => `echo command line ${i + 1}`).join("\n")}
\`\`\`

\`\`\`rollback {on=app}
echo undo
\`\`\`
`;

describe("the whole step (i)", () => {
  const plan = planOf(LONG);
  const step = stepOf(plan, "long");

  test("has the prose, every command line and the rollback, for the selected machine", () => {
    const text = detailLines(step, "a2", 76).map((l) => l.text);
    expect(text.join(" ")).toContain("Paragraph line 11. Paragraph line 12.");
    expect(text).toContain("on a2:");
    expect(text).toContain("  $ echo command line 1");
    expect(text).toContain("    echo command line 30");
    expect(text.slice(-2)).toEqual(["rollback on a2:", "  $ echo undo"]);
  });

  test("a failed machine's whole reason and last lines come first; a captured value fills a file's preview", () => {
    const reason = `ts action failed: ${"a reason longer than any pane ".repeat(4).trim()}`;
    const text = detailLines(step, "a2", 76, {
      state: {
        status: "failed",
        exitCode: 2,
        error: reason,
        tail: ["\x1b[31mfirst\x1b[0m line", "last line"],
      },
    }).map((l) => l.text);
    expect(text.slice(0, 3)).toEqual([`a2: failed (exit 2): ${reason}`, "  first line", "  last line"]);
    const file = planOf(
      "---\ntitle: F\nroles: [app]\n---\n\n# P\n\n## Capture {#cap}\n\n```sh {on=app capture=pid}\necho 42\n```\n\n```ini {on=app file=/tmp/x}\npid={{ pid | raw }}\n```\n",
    );
    const cap = stepOf(file, "cap");
    expect(detailLines(cap, "a1", 76).map((l) => l.text)).toContain("  │ pid=⟨pid⟩");
    expect(detailLines(cap, "a1", 76, { captured: { pid: "4242" } }).map((l) => l.text)).toContain(
      "  │ pid=4242",
    );
  });

  test("long lines wrap at a space, keeping the indentation", () => {
    const wrapped = wrapLines([{ text: "    word ".repeat(6).trimEnd() }], 30).map((l) => l.text);
    expect(wrapped.every((l) => l.length <= 30)).toBe(true);
    expect(wrapped[1]?.startsWith("      ")).toBe(true);
    expect(wrapped.join(" ").replace(/\s+/g, " ").trim()).toBe("word word word word word word");
  });

  test("opens with i over the body, scrolls with the arrows and PgDn, follows Tab, closes with any other key", async () => {
    const app = renderApp(plan, { mode: "DRY RUN" });
    await app.waitFor("1/1 A long step");
    await app.press("i");
    let f = await app.waitFor("[1-17 of ");
    expect(f).toContain("1/1 A long step [change] on a1");
    expect(f).toContain("Paragraph line 1.");
    expect(f.split("\n")).toHaveLength(24);
    expect(f.split("\n")[23]).toMatch(/^↑↓ PgUp\/PgDn scroll · Tab machine · any other key closes/);
    await app.press(KEYS.down, KEYS.down);
    f = await app.waitFor("[3-19 of ");
    expect(f).not.toContain("Paragraph line 1.");
    await app.press(KEYS.pageDown, KEYS.pageDown, KEYS.pageDown);
    f = await app.waitFor("$ echo undo");
    expect(f).toContain("rollback on a1:");
    await app.press(KEYS.tab);
    await app.waitFor("rollback on a2:");
    await app.press("x");
    f = await app.waitFor((x) => !x.includes("rollback on a2:"));
    expect(f).toContain("── output");
  });
});
