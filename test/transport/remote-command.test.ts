import { describe, expect, test } from "bun:test";
import {
  killCommand,
  PROBE,
  remoteCommand,
  wrapperFromProbe,
} from "../../src/transport/ssh/remote-command.ts";

/** Whether bash parses `cmd` (as the login shell would get it) without running it. */
function parses(cmd: string): boolean {
  return Bun.spawnSync(["bash", "-n", "-c", cmd]).exitCode === 0;
}

describe("remote command scripts", () => {
  test("each wrapper and kill script reaches bash -c as one single-quoted word, and parses", () => {
    const cmds = [remoteCommand("portable"), remoteCommand("setsid-wait"), killCommand(123, 500)];
    for (const cmd of cmds) {
      expect(cmd).toMatch(/ -c '/);
      expect(parses(cmd)).toBe(true);
    }
    expect(remoteCommand()).toBe(remoteCommand("portable"));
  });

  test("the kill script gives the group the grace period in 50 ms rounds, at least one", () => {
    expect(killCommand(42, 3000)).toContain("-ge 60 ]");
    expect(killCommand(42, 10)).toContain("-ge 1 ]");
    expect(killCommand(42, 10)).toContain("p=42\n");
  });

  test("the probe's answer picks the wrapper", () => {
    expect(parses(PROBE)).toBe(true);
    expect(wrapperFromProbe("rb-setsid-w\n")).toBe("setsid-wait");
    expect(wrapperFromProbe("")).toBe("portable");
  });
});
