import { describe, expect, test } from "bun:test";
import { cleanLine, plainText } from "../../src/util/clean-line.ts";

describe("cleanLine", () => {
  test.each([
    ["plain text", "plain text"],
    ["\x1b[1;32mok\x1b[0m", "ok"],
    ["a\x1b[2Kb\x1b[10;5Hc", "abc"],
    ["\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link"],
    ["50%\r75%\r100%", "100%"],
    ["windows line\r", "windows line"],
    ["a\tb", "a       b"],
    ["abcdefgh\tx", "abcdefgh        x"],
    ["bell\x07 and del\x7f and \x00nul", "bell and del and nul"],
    ["ünïcode ✓ stays", "ünïcode ✓ stays"],
  ])("%j -> %j", (input, expected) => {
    expect(cleanLine(input)).toBe(expected);
  });
});

describe("plainText", () => {
  test("drops escape codes and control characters, keeps tabs and newlines, and the last redraw of a line", () => {
    expect(plainText("\x1b[0m\x1b[0mApache Maven 3.8.7\n")).toBe("Apache Maven 3.8.7\n");
    expect(plainText("a\tb\x07c\n 10%\r 50%\r100%\nnext\x1b]0;title\x07 end")).toBe("a\tbc\n100%\nnext end");
    expect(plainText("nothing to do\n")).toBe("nothing to do\n");
  });
});
