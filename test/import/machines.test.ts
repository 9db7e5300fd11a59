import { describe, expect, test } from "bun:test";
import { addressVariables } from "../../src/import/addresses.ts";
import { varies } from "../../src/import/expected-output.ts";
import { machineNamed, machineNamedInProse, parseRoleOptions } from "../../src/import/machines.ts";
import type { Finding, ImportedAction } from "../../src/import/model.ts";

const none = new Map<string, string>();

describe("machines a text names", () => {
  test("a labelled machine wins over a NameServer in the same words; --role maps label or role", () => {
    expect(machineNamed("在机器A，启动第一个Master，例如NameServer的IP为：192.168.1.1", none)).toEqual({
      label: "A",
      role: "machine-a",
    });
    expect(machineNamed("on machine B", parseRoleOptions(["b=broker-b"]))?.role).toBe("broker-b");
    expect(machineNamed("host 2", parseRoleOptions(["machine-2=web"]))?.role).toBe("web");
    expect(machineNamed("启动 NameServer", none)?.role).toBe("nameserver");
  });

  test("in running text a NameServer is a machine only as a place", () => {
    expect(machineNamedInProse("On the NameServer, run mqadmin.", none)?.role).toBe("nameserver");
    expect(machineNamedInProse("如上启动命令是在单个NameServer情况下使用的", none)).toBeUndefined();
    expect(() => parseRoleOptions(["A"])).toThrow("expected LABEL=role");
  });
});

describe("addresses", () => {
  const action = (command: string, line: number): ImportedAction => ({
    command,
    comments: [],
    background: false,
    read: false,
    line,
  });

  test("an address in two commands is a variable, outside single quotes only; one command twice is not", () => {
    const a = [action("x -n 192.168.1.1:9876", 1), action("echo '192.168.1.1:9876' -n 192.168.1.1:9876", 2)];
    const findings: Finding[] = [];
    expect(addressVariables(a, findings).map((v) => [v.name, v.default])).toEqual([
      ["namesrv_addr", "192.168.1.1:9876"],
    ]);
    expect(a[1]?.command).toBe("echo '192.168.1.1:9876' -n {{ namesrv_addr }}");
    expect(addressVariables([action("curl 10.0.0.1 && curl 10.0.0.1", 1)], [])).toEqual([]);
  });

  test("output that tells how long it took is no line to expect", () => {
    expect(varies("added 12 packages in 3s")).toBe(true);
    expect(varies("BUILD SUCCESS")).toBe(false);
  });
});
