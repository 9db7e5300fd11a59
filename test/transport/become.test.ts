import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import type { Host } from "../../src/model/inventory.ts";
import { BECOME_FAILED, becomeCheck } from "../../src/transport/become.ts";
import { SshTransport } from "../../src/transport/ssh/ssh-transport.ts";
import type { ExecOptions } from "../../src/transport/transport.ts";
import { type SshdHarness, startSshdHarness } from "../helpers/sshd-harness.ts";
import { setPassword, sudoRules } from "../helpers/sudoers.ts";

/**
 * Commands as another user over real OpenSSH: rbbecome1 may become rbbecome3 without a password,
 * rbbecome2 only with its own password. The service user is the harness's third machine's user.
 */
const PASSWORD = "correct horse 'battery' $(staple)";
let h: SshdHarness;
let removeRules = () => {};
const opened: SshTransport[] = [];

beforeAll(async () => {
  h = await startSshdHarness({ count: 3, userPrefix: "rbbecome", firstAddress: 210, lockWaitMs: 60_000 });
  const [a, b, svc] = h.machines.map((m) => m.user);
  setPassword(b as string, PASSWORD);
  removeRules = sudoRules("become", [
    `${a} ALL=(${svc}) NOPASSWD: ALL`,
    `Defaults:${b} !lecture, passwd_tries=1`,
    `${b} ALL=(${svc}) ALL`,
  ]);
}, 90_000);

afterAll(async () => {
  removeRules();
  await Promise.all(opened.map((t) => t.close().catch(() => {})));
  await h?.stop();
});

const service = () => h.machines[2]?.user as string;

function open(i: number): SshTransport {
  const host = h.hosts()[i] as Host;
  const t = new SshTransport(host, { killGraceMs: 500 });
  opened.push(t);
  return t;
}

async function run(t: SshTransport, script: string, opts: ExecOptions = {}) {
  let out = "";
  let err = "";
  const r = await t.exec(script, {
    ...opts,
    onStdout: (c) => {
      out += c;
    },
    onStderr: (c) => {
      err += c;
    },
  });
  return { ...r, out, err };
}

/** Live processes of the service user whose command line matches `re`. */
function serviceProcesses(re: RegExp): string[] {
  const ps = Bun.spawnSync(["ps", "-u", service(), "-o", "pid=,stat=,args="]).stdout.toString();
  return ps
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/^\d+\s+Z/.test(l) && re.test(l));
}

async function gone(re: RegExp, ms = 4000): Promise<string[]> {
  const deadline = performance.now() + ms;
  let left = serviceProcesses(re);
  while (left.length > 0 && performance.now() < deadline) {
    await Bun.sleep(50);
    left = serviceProcesses(re);
  }
  return left;
}

describe("become: commands as another user, with sudo", () => {
  test("a command runs as the service user, in its home, with its exit code and output", async () => {
    const t = open(0);
    const r = await run(t, 'id -un; echo "$HOME"; echo err >&2; exit 3', { become: { user: service() } });
    expect(r.out).toBe(`${service()}\n${h.machines[2]?.home}\n`);
    expect(r.err).toBe("err\n");
    expect(r.code).toBe(3);
  });

  test("a file block written as the service user is theirs, with its mode and exact content", async () => {
    const t = open(0);
    const content = "~/not-a-path 'quoted' $(not run) `nor this`\nline 2\n";
    await t.upload("~/conf/app.properties", content, 0o640, { user: service() });
    const file = join(h.machines[2]?.home as string, "conf", "app.properties");
    expect(await Bun.file(file).text()).toBe(content);
    const st = statSync(file);
    expect(st.uid).toBe(h.machines[2]?.uid as number);
    expect(st.mode & 0o777).toBe(0o640);
  });

  test("a cancel kills everything the command started as the service user, also what ignores SIGTERM", async () => {
    const t = open(0);
    const ac = new AbortController();
    // The grace period (500 ms) passes, so what ignored SIGTERM got SIGKILL by then.
    const started = Bun.sleep(1500);
    const p = run(t, "sleep 741 & (trap '' TERM; sleep 742) & sleep 743", {
      become: { user: service() },
      signal: ac.signal,
      onStart: () => setTimeout(() => ac.abort(), 400),
    });
    const r = await p;
    await started;
    expect(r).toMatchObject({ code: null, cancelled: true });
    expect(await gone(/sleep 74[123]/)).toEqual([]);
  }, 20_000);

  test("a timeout kills the command as the service user", async () => {
    const t = open(0);
    const r = await run(t, "sleep 751 & sleep 752", { become: { user: service() }, timeoutMs: 500 });
    expect(r).toMatchObject({ code: null, timedOut: true });
    expect(await gone(/sleep 75[12]/)).toEqual([]);
  });

  test("where sudo needs a password: none fails cleanly, a wrong one fails, the right one runs; it is never on a command line", async () => {
    const t = open(1);
    const none = await run(t, "id -un", { become: { user: service() } });
    expect(none.code).toBe(BECOME_FAILED);
    expect(none.err).toBe(`runbook: cannot become ${service()} here: sudo needs a password\n`);
    expect(none.out).toBe("");

    expect((await run(t, becomeCheck(service()))).code).toBe(10);
    expect((await run(t, becomeCheck(service(), "wrong"))).code).toBe(11);
    expect((await run(t, becomeCheck(service(), PASSWORD))).code).toBe(0);

    const seen: string[] = [];
    const r = await run(t, "id -un; sleep 0.5", {
      become: { user: service(), password: PASSWORD },
      onStart: () => {
        setTimeout(() => seen.push(Bun.spawnSync(["ps", "-eo", "args="]).stdout.toString()), 250);
      },
    });
    expect(r.out).toBe(`${service()}\n`);
    expect(r.code).toBe(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]).not.toContain("horse");
  }, 30_000);

  test("without sudo rules for the login user, the command is refused and nothing runs", async () => {
    const t = open(2);
    const r = await run(t, "touch ~/should-not-exist", { become: { user: h.machines[0]?.user as string } });
    expect(r.code).toBe(BECOME_FAILED);
  });
});
