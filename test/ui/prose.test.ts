import { describe, expect, test } from "bun:test";
import { proseRows, wrapAtSpaces } from "../../src/ui/prose.ts";

describe("prose on the screen", () => {
  test("a paragraph wrapped in the source is joined and wrapped again at the screen's width", () => {
    const text =
      "The broker refuses new messages once its\ndisk is 90% full, so check it first.\n\nSecond paragraph.\n";
    expect(proseRows(text, 30)).toEqual([
      "The broker refuses new",
      "messages once its disk is 90%",
      "full, so check it first.",
      "Second paragraph.",
    ]);
  });

  test("lists, tables, quotes and indented code keep their line breaks", () => {
    const text = "Steps:\n- one\n- two\n| a | b |\n| --- | --- |\n> quoted\n    code line\n1. first\n";
    expect(proseRows(text, 80)).toEqual([
      "Steps:",
      "- one",
      "- two",
      "| a | b |",
      "| --- | --- |",
      "> quoted",
      "    code line",
      "1. first",
    ]);
  });

  test("a word longer than the row is cut; wrapped rows keep the indentation (and more, if asked)", () => {
    expect(wrapAtSpaces("x".repeat(25), 10)).toEqual(["xxxxxxxxxx", "xxxxxxxxxx", "xxxxx"]);
    expect(wrapAtSpaces("    echo one two three four", 16, 2)).toEqual([
      "    echo one two",
      "      three four",
    ]);
  });
});
