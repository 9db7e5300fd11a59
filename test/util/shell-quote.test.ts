import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { shellQuote } from "../../src/util/shell-quote.ts";

const HOME = "/home/runbook-test";

/** What `bash -c "printf %s <word>"` prints, with no shell between us and bash. */
function bashPrints(word: string): string {
  const r = Bun.spawnSync(["bash", "-c", `printf %s ${word}`], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME, LC_ALL: "C.UTF-8" },
    stdout: "pipe",
    stderr: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`bash failed on ${word}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

/** Characters that mean something to the shell, so that generated strings hit them often. */
const nasty = fc.constantFrom(
  "'",
  '"',
  "\\",
  "$",
  "$(",
  ")",
  "`",
  "\n",
  ";",
  "&",
  "|",
  "<",
  ">",
  "*",
  "?",
  "[",
  "]",
  "{",
  "}",
  "~",
  "#",
  "!",
  " ",
  "\t",
  "=",
  "%",
  "-",
  "é",
  "日本",
  "🚀",
  "\u00a0",
  "$(touch /tmp/x)",
  "; rm -rf /",
);

const anyString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.array(fc.oneof(nasty, fc.string({ maxLength: 3 })), { maxLength: 12 }).map((a) => a.join("")),
);

describe("shellQuote", () => {
  test("bash reads the quoted word back as exactly the input (property)", () => {
    fc.assert(
      fc.property(
        // NUL cannot be in an argv; `~` and `~/…` are meant to expand, tested below.
        anyString.filter((s) => !s.includes("\0") && s !== "~" && !s.startsWith("~/")),
        (s) => {
          expect(bashPrints(shellQuote(s))).toBe(s);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("safe words stay bare, everything else is single-quoted", () => {
    expect(shellQuote("broker-a")).toBe("broker-a");
    expect(shellQuote("/opt/rocketmq-5.1.4/bin")).toBe("/opt/rocketmq-5.1.4/bin");
    expect(shellQuote("192.168.1.1:9876,10.0.0.1:9876")).toBe("192.168.1.1:9876,10.0.0.1:9876");
    expect(shellQuote("user@host")).toBe("user@host");
    expect(shellQuote("")).toBe("''");
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("$(touch /tmp/x)")).toBe("'$(touch /tmp/x)'");
    expect(shellQuote("; rm -rf /")).toBe("'; rm -rf /'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote("a;b")).toBe("'a;b'");
    expect(shellQuote("~user")).toBe("'~user'");
    expect(shellQuote("a~/b")).toBe("'a~/b'");
  });

  test("a leading ~/ stays unquoted so the tilde still expands", () => {
    expect(shellQuote("~/x y")).toBe("~/'x y'");
    expect(bashPrints(shellQuote("~/x y"))).toBe(`${HOME}/x y`);
    expect(shellQuote("~/rocketmq")).toBe("~/rocketmq");
    expect(bashPrints(shellQuote("~/rocketmq"))).toBe(`${HOME}/rocketmq`);
    expect(shellQuote("~/")).toBe("~/");
    expect(bashPrints(shellQuote("~/"))).toBe(`${HOME}/`);
    expect(bashPrints(shellQuote("~"))).toBe(HOME);
    expect(bashPrints(shellQuote("~/$(id)'; x"))).toBe(`${HOME}/$(id)'; x`);
  });

  test("the rest of a ~/ value is still quoted (property)", () => {
    fc.assert(
      fc.property(
        anyString.filter((s) => !s.includes("\0")),
        (s) => {
          expect(bashPrints(shellQuote(`~/${s}`))).toBe(`${HOME}/${s}`);
        },
      ),
      { numRuns: 50 },
    );
  });
});
