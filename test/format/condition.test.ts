import { describe, expect, test } from "bun:test";
import { conditionVariables, evaluateCondition, parseCondition } from "../../src/format/condition.ts";
import { errorOf, where } from "../helpers/fixtures.ts";

const POS = { file: "/f.md", line: 3, col: 1 };

describe("parseCondition", () => {
  test("== and != with single, double and bare values, OR of ANDs", () => {
    expect(parseCondition(`a == 'x' && b != "y z" || c==bare-1.0`, POS)).toEqual([
      [
        { variable: "a", op: "==", value: "x" },
        { variable: "b", op: "!=", value: "y z" },
      ],
      [{ variable: "c", op: "==", value: "bare-1.0" }],
    ]);
    expect(parseCondition("a == ''", POS)).toEqual([[{ variable: "a", op: "==", value: "" }]]);
  });

  test("conditionVariables lists every variable used", () => {
    expect(conditionVariables(parseCondition("a == '1' && b == '2' || a != '3'", POS))).toEqual([
      "a",
      "b",
      "a",
    ]);
  });

  for (const text of [
    "a = 'x'",
    "a == ",
    "A == 'x'",
    "a == 'x' &&",
    "a === 'x'",
    "a == 'x' b",
    "",
    "a == 'it's'",
  ]) {
    test(`refuses ${JSON.stringify(text)}`, () => {
      const e = errorOf(() => parseCondition(text, POS));
      expect(e.code).toBe("bad-attribute");
      expect(e.message).toStartWith("cannot read the condition ");
      expect(e.message).toEndWith(" in when=");
      expect(e.hint).toBe("write when=\"variable == 'value'\" (also !=, &&, ||)");
      expect(where(e)).toBe("/f.md:3:1");
    });
  }

  test("the message quotes the part that cannot be read", () => {
    expect(errorOf(() => parseCondition("a == 'x' && b = 'y'", POS)).message).toBe(
      "cannot read the condition \"b = 'y'\" in when=",
    );
  });
});

describe("evaluateCondition", () => {
  const vars: Record<string, string> = { source: "maven", os: "linux", empty: "" };
  const run = (text: string) => evaluateCondition(parseCondition(text, POS), (n) => vars[n] ?? "");

  test("comparisons", () => {
    expect(run("source == 'maven'")).toBe(true);
    expect(run("source == 'git'")).toBe(false);
    expect(run("source != 'git'")).toBe(true);
    expect(run("source != 'maven'")).toBe(false);
    expect(run("empty == ''")).toBe(true);
    expect(run("unknown == ''")).toBe(true);
  });

  test("&& binds tighter than ||", () => {
    expect(run("source == 'git' && os == 'linux' || source == 'maven'")).toBe(true);
    expect(run("source == 'maven' && os == 'mac' || source == 'git'")).toBe(false);
    expect(run("source == 'git' || source == 'maven' && os == 'linux'")).toBe(true);
    expect(run("source == 'git' || source == 'maven' && os == 'mac'")).toBe(false);
  });
});
