import { describe, expect, test } from "bun:test";
import { parseTemplate, posAt, templateExprs } from "../../src/format/template.ts";
import { errorOf, where } from "../helpers/fixtures.ts";

const BASE = { file: "/f.md", line: 10, col: 1 };

describe("parseTemplate", () => {
  test("splits text and expressions, keeping every character of the text", () => {
    const parts = parseTemplate("cd {{ home }} && ./run {{host.name}}!", BASE);
    expect(parts).toEqual([
      { kind: "text", text: "cd " },
      {
        kind: "expr",
        expr: { path: ["home"], filters: [], source: "home", pos: { file: "/f.md", line: 10, col: 4 } },
      },
      { kind: "text", text: " && ./run " },
      {
        kind: "expr",
        expr: {
          path: ["host", "name"],
          filters: [],
          source: "host.name",
          pos: { file: "/f.md", line: 10, col: 24 },
        },
      },
      { kind: "text", text: "!" },
    ]);
  });

  test("text without expressions, and an empty text", () => {
    expect(parseTemplate("plain { text } $x", BASE)).toEqual([{ kind: "text", text: "plain { text } $x" }]);
    expect(parseTemplate("", BASE)).toEqual([]);
  });

  test("positions count lines and columns inside the text", () => {
    const [a, b] = templateExprs("line one\n  two {{ a }}\n\n{{ b }}", BASE);
    expect(a?.pos).toEqual({ file: "/f.md", line: 11, col: 7 });
    expect(b?.pos).toEqual({ file: "/f.md", line: 13, col: 1 });
    expect(posAt("ab\ncd", 4, { file: "x", line: 1, col: 5 })).toEqual({ file: "x", line: 2, col: 2 });
  });

  test("filters and their arguments: numbers, quoted text, variable references", () => {
    const [e] = templateExprs(
      "{{ hosts.nameserver | addr:9876 | join:';' }}{{ hosts.brokers | addr:broker_port | join:\",\" | first }}",
      BASE,
    );
    expect(e?.path).toEqual(["hosts", "nameserver"]);
    expect(e?.filters).toEqual([
      { name: "addr", args: [{ kind: "literal", value: 9876 }] },
      { name: "join", args: [{ kind: "literal", value: ";" }] },
    ]);
    const [, f] = templateExprs(
      "{{ a }}{{ hosts.brokers | addr:broker_port | join:\",\" | first | default:'x' | raw }}",
      BASE,
    );
    expect(f?.filters).toEqual([
      { name: "addr", args: [{ kind: "ref", path: ["broker_port"] }] },
      { name: "join", args: [{ kind: "literal", value: "," }] },
      { name: "first", args: [] },
      { name: "default", args: [{ kind: "literal", value: "x" }] },
      { name: "raw", args: [] },
    ]);
  });

  test("a quoted argument may hold | and :", () => {
    const [e] = templateExprs("{{ hosts.a | join:' | ' }}{{ x | default:'a:b' }}", BASE);
    expect(e?.filters[0]?.args).toEqual([{ kind: "literal", value: " | " }]);
    const [, f] = templateExprs("{{ hosts.a | join:' | ' }}{{ x | default:'a:b' }}", BASE);
    expect(f?.filters[0]?.args).toEqual([{ kind: "literal", value: "a:b" }]);
  });

  const bad: [string, string, string, string][] = [
    ["x {{ home", "a {{ is not closed with }}", "/f.md:10:3", "close the variable with }}"],
    [
      "{{ }}",
      '"{{  }}" does not name a variable',
      "/f.md:10:1",
      "write {{ name }} or {{ name | filter:arg }}",
    ],
    [
      "{{ 9lives }}",
      '"{{ 9lives }}" does not name a variable',
      "/f.md:10:1",
      "write {{ name }} or {{ name | filter:arg }}",
    ],
    [
      "{{ a b }}",
      '"{{ a b }}" does not name a variable',
      "/f.md:10:1",
      "write {{ name }} or {{ name | filter:arg }}",
    ],
    [
      "ab{{ x | upper }}",
      'unknown filter "upper" in {{ x | upper }}',
      "/f.md:10:3",
      "filters are addr, join, first, default, raw",
    ],
    [
      "{{ x | }}",
      'unknown filter "" in {{ x | }}',
      "/f.md:10:1",
      "filters are addr, join, first, default, raw",
    ],
    ["{{ x | join }}", 'filter "join" takes 1 argument(s) in {{ x | join }}', "/f.md:10:1", "write join:';'"],
    [
      "{{ x | addr }}",
      'filter "addr" takes 1 argument(s) in {{ x | addr }}',
      "/f.md:10:1",
      "write addr:9876",
    ],
    [
      "{{ x | first:1 }}",
      'filter "first" takes 0 argument(s) in {{ x | first:1 }}',
      "/f.md:10:1",
      "write first",
    ],
    [
      "{{ x | raw:'y' }}",
      "filter \"raw\" takes 0 argument(s) in {{ x | raw:'y' }}",
      "/f.md:10:1",
      "write raw",
    ],
    [
      "{{ x | default:a b }}",
      'cannot read the filter argument "a b" in {{ x | default:a b }}',
      "/f.md:10:1",
      "quote text arguments: join:';'",
    ],
    [
      "{{ x | join:'; }}",
      "cannot read the filter argument \"';\" in {{ x | join:'; }}",
      "/f.md:10:1",
      "quote text arguments: join:';'",
    ],
  ];
  for (const [text, message, at, hint] of bad) {
    test(`refuses ${text}`, () => {
      const e = errorOf(() => parseTemplate(text, BASE));
      expect(e.code).toBe("bad-template");
      expect(e.message).toBe(message);
      expect(where(e)).toBe(at);
      expect(e.hint).toBe(hint);
    });
  }
});
