import { describe, expect, test } from "bun:test";
import { looksLikeCommand, onlyReads } from "../../src/import/command-words.ts";
import { usableLine } from "../../src/import/expected-output.ts";
import { readShellBlock } from "../../src/import/shell-block.ts";

describe("a code block's commands", () => {
  test("prompts are taken off; # is a prompt only before a command; other lines are output", () => {
    const cmds = readShellBlock(
      "bash",
      "> cd rocketmq\n# meavn打包\n# ls -l\n  The boot success...\n$ tail -f x.log",
      10,
    );
    expect(cmds?.map((c) => [c.text, c.line])).toEqual([
      ["cd rocketmq", 10],
      ["ls -l", 12],
      ["tail -f x.log", 14],
    ]);
    expect(cmds?.[1]?.comments).toEqual([{ text: "meavn打包", line: 11 }]);
    expect(cmds?.[1]?.output.map((o) => o.text)).toEqual(["The boot success..."]);
  });

  test("without prompts, a line that is no command is the output of the one before", () => {
    const cmds = readShellBlock("bash", "tail -f ~/logs/namesrv.log\nThe Name Server boot success...", 1);
    expect(cmds?.map((c) => c.text)).toEqual(["tail -f ~/logs/namesrv.log"]);
    expect(cmds?.[0]?.output.map((o) => o.text)).toEqual(["The Name Server boot success..."]);
  });

  test("continued lines and here-documents stay one command; a loop is one script", () => {
    expect(readShellBlock("sh", "mvn \\\n  install\ncat > f <<EOF\na\nEOF", 1)?.map((c) => c.text)).toEqual([
      "mvn \\\ninstall",
      "cat > f <<EOF\na\nEOF",
    ]);
    expect(readShellBlock("sh", "for h in a b; do\n  ssh $h ls\ndone", 1)?.length).toBe(1);
  });

  test("another language, or a plain block that is not all commands, is documentation", () => {
    expect(readShellBlock("yaml", "port: 1", 1)).toBeUndefined();
    expect(readShellBlock("", "port: 1\nls", 1)).toBeUndefined();
    expect(readShellBlock("", "ls -l\n./bin/x --y", 1)?.length).toBe(2);
  });
});

describe("what a command is, and whether it only reads", () => {
  test("commands and output", () => {
    expect(looksLikeCommand("nohup sh bin/mqnamesrv &")).toBe(true);
    expect(looksLikeCommand("JAVA_OPT=-Xmx1g sh bin/x")).toBe(true);
    expect(looksLikeCommand("The Name Server boot success...")).toBe(false);
    expect(looksLikeCommand("2019-9-27 21:04:10 INFO x")).toBe(false);
  });

  test("read-only commands", () => {
    for (const c of [
      "tail -n 50 x.log",
      "grep -F x f | wc -l",
      "cat a",
      "ls",
      "sh bin/mqadmin clusterList -n a:1",
    ])
      expect([c, onlyReads(c)]).toEqual([c, true]);
    for (const c of ["tail -f x.log", "cat a > b", "mqadmin updateTopic -t T", "rm -rf x", "ls; rm x"])
      expect([c, onlyReads(c)]).toEqual([c, false]);
  });

  test("an expected line: the elision off, a timestamped log line is none", () => {
    expect(usableLine("  The Name Server boot success...")).toBe("The Name Server boot success");
    expect(usableLine("2019-9-27 21:04:10 INFO NSScheduledThread1 - ----")).toBeUndefined();
    expect(usableLine("...")).toBeUndefined();
  });
});
