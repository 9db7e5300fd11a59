import { describe, expect, test } from "bun:test";
import { parseAttributes } from "../../src/format/attributes.ts";
import { formatDuration, parseDuration } from "../../src/format/duration.ts";
import { RunbookError } from "../../src/model/errors.ts";
import { errorOf, where } from "../helpers/fixtures.ts";

const POS = { file: "/f.md", line: 7, col: 5 };

describe("parseAttributes", () => {
  test("key=value, quoted values, bare flags and an id, each with its column", () => {
    const text = `{#my-id on=web risk="read" background expect='a b' wait-for="x\\"y"}`;
    const col = (key: string) => ({ file: "/f.md", line: 7, col: POS.col + text.indexOf(key) });
    const list = parseAttributes(text, POS);
    expect(list.id).toBe("my-id");
    expect(list.attrs).toEqual([
      { key: "on", value: "web", pos: col("on=") },
      { key: "risk", value: "read", pos: col("risk=") },
      { key: "background", value: true, pos: col("background") },
      { key: "expect", value: "a b", pos: col("expect=") },
      { key: "wait-for", value: 'x"y', pos: col("wait-for=") },
    ]);
    expect(list.attrs[0]?.pos.col).toBe(13);
  });

  test("backslash escapes only the quote and the backslash", () => {
    expect(parseAttributes(String.raw`{a="c:\\dir\n" b='it\'s'}`, POS).attrs.map((a) => a.value)).toEqual([
      String.raw`c:\dir\n`,
      "it's",
    ]);
  });

  test("empty list, extra spaces, comma lists and {{ }} in values", () => {
    expect(parseAttributes("{}", POS)).toEqual({ attrs: [] });
    expect(parseAttributes("{   }", POS)).toEqual({ attrs: [] });
    const list = parseAttributes('{  on=a,b,@c   file="{{ dir }}/x" port={{port}} }', POS);
    expect(list.attrs.map((a) => [a.key, a.value])).toEqual([
      ["on", "a,b,@c"],
      ["file", "{{ dir }}/x"],
      ["port", "{{port}}"],
    ]);
  });

  test("an unquoted {{ }} value without spaces is one value", () => {
    expect(parseAttributes("{wait-port={{port}} on=web}", POS).attrs.map((a) => [a.key, a.value])).toEqual([
      ["wait-port", "{{port}}"],
      ["on", "web"],
    ]);
    expect(parseAttributes("{file=/etc/{{name}}.conf}", POS).attrs[0]?.value).toBe("/etc/{{name}}.conf");
  });

  const bad: [string, string, string][] = [
    ["on=web}", "attributes must be written in braces", "/f.md:7:5"],
    ["{on=web", "attribute list is not closed with }", "/f.md:7:5"],
    ['{on="web}', "attribute list is not closed with }", "/f.md:7:5"],
    ["{on=web} x", 'unexpected text after the attribute list: "x"', "/f.md:7:13"],
    ["{on=}", "on= has no value", "/f.md:7:6"],
    ["{on=web 9x}", 'unexpected "9" in the attribute list', "/f.md:7:13"],
    ["{#}", "an id after # must start with a letter or digit", "/f.md:7:6"],
    ["{on=web =}", 'unexpected "=" in the attribute list', "/f.md:7:13"],
  ];
  for (const [text, message, at] of bad) {
    test(`refuses ${text}`, () => {
      const e = errorOf(() => parseAttributes(text, POS));
      expect(e.code).toBe("bad-attribute");
      expect(e.message).toBe(message);
      expect(where(e)).toBe(at);
    });
  }
});

describe("durations", () => {
  const pos = { file: "/f.md", line: 1, col: 1 };
  test("units and bare seconds", () => {
    expect(parseDuration("90s", pos, "timeout")).toBe(90_000);
    expect(parseDuration("5m", pos, "timeout")).toBe(300_000);
    expect(parseDuration("1h", pos, "timeout")).toBe(3_600_000);
    expect(parseDuration("250ms", pos, "timeout")).toBe(250);
    expect(parseDuration("1.5s", pos, "timeout")).toBe(1500);
    expect(parseDuration("30", pos, "timeout")).toBe(30_000);
    expect(parseDuration(" 2m ", pos, "timeout")).toBe(120_000);
  });

  for (const text of ["", "5x", "-1s", "1d", "s", "1 m", "1m30s"]) {
    test(`refuses ${JSON.stringify(text)}`, () => {
      const e = errorOf(() => parseDuration(text, pos, "retry-delay"));
      expect(e).toBeInstanceOf(RunbookError);
      expect(e.message).toBe(`retry-delay=${text} is not a duration`);
      expect(e.hint).toBe("write retry-delay=90s, retry-delay=5m or retry-delay=1h");
    });
  }

  test("formatDuration picks the largest whole unit", () => {
    expect([3_600_000, 7_200_000, 60_000, 90_000, 1000, 1500, 0].map(formatDuration)).toEqual([
      "1h",
      "2h",
      "1m",
      "90s",
      "1s",
      "1500ms",
      "0h",
    ]);
  });
});
