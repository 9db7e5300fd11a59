import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "./run-cli.ts";

/**
 * Checks of the deployments' preflight (fragments/preflight.md) and of the store's disk
 * (prerequisites.md) that need no sshd, run by the real CLI on local machines: the clock check with
 * the machine's real clock and with a `date` first on the PATH that answers a minute ahead, as a
 * machine without NTP would; the reachability check with a NameServer reachable at its inventory
 * address and with one listening elsewhere; the disk check on a small tmpfs filled to 90% and 80%.
 */
let dir: string;
let inventory: string;
let fakeBin: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "runbook-clock-"));
  inventory = join(dir, "inventory.yaml");
  writeFileSync(
    inventory,
    [
      "hosts:",
      "  ns: { transport: local, address: 127.0.0.1, roles: [nameserver] }",
      "  a: { transport: local, address: 127.0.0.1, roles: [broker-a] }",
      "",
    ].join("\n"),
  );
  fakeBin = join(dir, "bin");
  mkdirSync(fakeBin);
  const real = Bun.which("date") ?? "/bin/date";
  // A minute ahead, in both forms the check asks for.
  writeFileSync(
    join(fakeBin, "date"),
    `#!/bin/sh\ncase "$1" in\n  +%s%3N) echo $(( $(${real} +%s%3N) + 60000 )) ;;\n  +%s) echo $(( $(${real} +%s) + 60 )) ;;\n  *) exec ${real} "$@" ;;\nesac\n`,
  );
  chmodSync(join(fakeBin, "date"), 0o755);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let runs = 0;
/**
 * One step of the single-master runbook. Each run gets a home of its own: a run whose check failed
 * keeps its machines' lock (in the home of local machines) for its resume.
 */
function only(step: string, inv: string, path?: string) {
  const home = join(dir, `home-${++runs}`);
  mkdirSync(home);
  return runCli(["run", "runbooks/rocketmq/single-master.md", "-i", inv, "--only", step, "--yes"], {
    env: { HOME: home, RUNBOOK_STATE_DIR: join(dir, "state"), ...(path ? { PATH: path } : {}) },
  });
}
const clockCheck = (path?: string) => only("preflight-clock", inventory, path);

/** A NameServer and a broker on this machine; the NameServer at `nsAddress`, listening on 127.0.0.1. */
function reachInventory(nsAddress: string): string {
  const path = join(dir, `reach-${nsAddress}.yaml`);
  writeFileSync(
    path,
    [
      "vars: { bind_address: 127.0.0.1, namesrv_port: 21876 }",
      "hosts:",
      `  ns: { transport: local, address: ${nsAddress}, roles: [nameserver], vars: { base_dir: ${join(dir, "ns")} } }`,
      `  a: { transport: local, address: 127.0.0.1, roles: [broker-a], vars: { base_dir: ${join(dir, "a")}, broker_port: 21911 } }`,
      "",
    ].join("\n"),
  );
  return path;
}

describe("the deployments' preflight and disk checks, on this machine", () => {
  test("a machine whose clock agrees with the runner's passes, with the measured skew", () => {
    const r = clockCheck();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /ns \| OK: clock \d+\.\d{3} s (ahead of|behind) the runner's \(± \d+\.\d{3} s\)/,
    );
    expect(r.stdout).toMatch(/a \| OK: clock /);
  }, 60_000);

  test("a machine a minute ahead fails with its name, the skew and the fix, and the run stops", () => {
    const r = clockCheck(`${fakeBin}:${process.env.PATH}`);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(
      /FAILED: the clock of ns is (59|60)\.\d{3} s ahead of the runner's .*more than max_clock_skew \(2 s\); synchronise it with NTP/,
    );
    expect(r.stdout).toMatch(/run finished: failed: 1 check failed: preflight-clock/);
  }, 60_000);

  test("a broker reaches the NameServer's port while it listens for it; the listener is gone afterwards", async () => {
    const r = only("preflight-reach", reachInventory("127.0.0.1"));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("ns | listening on 127.0.0.1 for 1 machine(s): port(s) 21876");
    expect(r.stdout).toContain("a | reached 127.0.0.1:21876");
    expect(r.stdout).toContain("ns | connections received (port: count): 21876: 1");
    const free = await Bun.connect({ hostname: "127.0.0.1", port: 21876, socket: { data() {} } }).then(
      (s) => {
        s.end();
        return false;
      },
      () => true,
    );
    expect(free).toBe(true);
  }, 60_000);

  test("a NameServer that listens on another address than the inventory's: the broker says it cannot reach it, with the fix", () => {
    const r = only("preflight-reach", reachInventory("127.0.0.9"));
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(
      /a ! FAILED: a \(127\.0\.0\.1\) cannot reach 127\.0\.0\.9:21876 within 25 s while they listened; open these ports between the machines .* or fix the address in the inventory/,
    );
    expect(r.stdout).toContain("ns | connections received (port: count): 21876: 0");
  }, 90_000);

  test("a store on a disk 90% full fails with the marks and the fix; at 80% it passes with a warning", () => {
    // A 4 MB tmpfs of its own (the suite runs as root, as its sshd machines need): filled to order.
    const disk = join(dir, "disk");
    mkdirSync(disk);
    const mount = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", disk]);
    expect(mount.exitCode, mount.stderr.toString()).toBe(0);
    try {
      const inv = join(dir, "disk.yaml");
      writeFileSync(
        inv,
        `hosts:\n  ns: { transport: local, address: 127.0.0.1, roles: [nameserver] }\n  a: { transport: local, address: 127.0.0.1, roles: [broker-a], vars: { store_dir: ${join(disk, "store")} } }\n`,
      );
      const fill = (kb: number) => writeFileSync(join(disk, "fill"), Buffer.alloc(kb * 1024));
      fill(3700);
      const full = only("check-store-disk", inv);
      expect(full.code, full.stdout).toBe(1);
      expect(full.stdout).toMatch(
        /a ! FAILED: the disk is 9\d% full; at 85% a broker deletes unexpired messages \(diskSpaceCleanForciblyRatio\) and at 90% it refuses new ones; free space or set store_dir to another disk/,
      );
      fill(3250);
      const high = only("check-store-disk", inv);
      expect(high.code, high.stdout).toBe(0);
      expect(high.stdout).toMatch(
        /a \| WARNING: the disk is [78]\d% full, above diskMaxUsedSpaceRatio \(75%\)/,
      );
    } finally {
      Bun.spawnSync(["umount", disk]);
    }
  }, 60_000);
});
