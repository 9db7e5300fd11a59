import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Host } from "../../src/model/inventory.ts";
import {
  rememberPassphrases,
  SshTransport,
  type SshTransportOptions,
} from "../../src/transport/ssh/ssh-transport.ts";
import { type ExecOptions, type HostKeyQuestion, TransportError } from "../../src/transport/transport.ts";
import { type SshdHarness, type SshdMachine, startSshdHarness } from "../helpers/sshd-harness.ts";

let h: SshdHarness;
let scratch: string;
const opened: SshTransport[] = [];

beforeAll(async () => {
  h = await startSshdHarness({ count: 4 });
  scratch = mkdtempSync(join(tmpdir(), "rb-ssh-test-"));
});

// Runs even when a test fails; stop() is safe to call twice.
afterAll(async () => {
  await Promise.all(opened.map((t) => t.close().catch(() => {})));
  await h?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function open(host: Host, opts: SshTransportOptions = {}): SshTransport {
  const t = new SshTransport(host, { killGraceMs: 500, ...opts });
  opened.push(t);
  return t;
}

function hostOf(i: number, patch: Partial<Host> = {}): Host {
  const host = h.hosts()[i];
  if (!host) throw new Error(`no machine ${i}`);
  return { ...host, ...patch };
}

function machine(i: number): SshdMachine {
  const m = h.machines[i];
  if (!m) throw new Error(`no machine ${i}`);
  return m;
}

/** Output collected from one exec, with the time each chunk arrived. */
function collect(extra: ExecOptions = {}) {
  const chunks: { stream: "out" | "err"; text: string; at: number }[] = [];
  const opts: ExecOptions = {
    ...extra,
    onStdout: (text) => {
      chunks.push({ stream: "out", text, at: performance.now() });
      extra.onStdout?.(text);
    },
    onStderr: (text) => {
      chunks.push({ stream: "err", text, at: performance.now() });
      extra.onStderr?.(text);
    },
  };
  return {
    opts,
    chunks,
    out: () =>
      chunks
        .filter((c) => c.stream === "out")
        .map((c) => c.text)
        .join(""),
    err: () =>
      chunks
        .filter((c) => c.stream === "err")
        .map((c) => c.text)
        .join(""),
  };
}

async function run(t: SshTransport, command: string, extra: ExecOptions = {}) {
  const c = collect(extra);
  const r = await t.exec(command, c.opts);
  return { ...r, out: c.out(), err: c.err() };
}

/** Live (non-zombie) processes of the machine's user whose command line matches `re`. */
async function liveProcesses(checker: SshTransport, re: RegExp): Promise<string[]> {
  const r = await run(checker, 'ps -u "$(id -un)" -o pid=,stat=,args=');
  return r.out
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/^\d+\s+Z/.test(l) && re.test(l));
}

async function eventually(f: () => Promise<string[]>, ms = 3000): Promise<string[]> {
  const deadline = performance.now() + ms;
  let last = await f();
  while (last.length > 0 && performance.now() < deadline) {
    await Bun.sleep(50);
    last = await f();
  }
  return last;
}

async function rejection(p: Promise<unknown>): Promise<TransportError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TransportError) return e;
    throw e;
  }
  throw new Error("expected a TransportError, the call succeeded");
}

function keygen(path: string, passphrase = ""): string {
  // -a 2: few KDF rounds, so the pure-JS bcrypt in ssh2 decrypts the key quickly.
  const r = Bun.spawnSync(["ssh-keygen", "-q", "-t", "ed25519", "-a", "2", "-N", passphrase, "-f", path]);
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  return readFileSync(`${path}.pub`, "utf8").trim();
}

describe("connections", () => {
  test("4 machines in parallel, each on one persistent connection", async () => {
    const ts = [0, 1, 2, 3].map((i) => open(hostOf(i)));
    const seen: string[][] = [[], [], [], []];
    const started = performance.now();
    await Promise.all(
      ts.map(async (t, i) => {
        for (let round = 0; round < 5; round++) {
          const rs = await Promise.all([0, 1, 2].map(() => run(t, 'echo "$(id -un) $SSH_CONNECTION"')));
          for (const r of rs) {
            expect(r.code).toBe(0);
            seen[i]?.push(r.out.trim());
          }
        }
      }),
    );
    const elapsed = performance.now() - started;
    for (const [i, t] of ts.entries()) {
      const m = machine(i);
      expect(t.connectCount).toBe(1);
      const lines = seen[i] ?? [];
      expect(lines).toHaveLength(15);
      // "rbtestN client-addr client-port server-addr server-port": the same client port every time.
      const fields = lines.map((l) => l.split(" "));
      expect(new Set(fields.map((f) => f[0]))).toEqual(new Set([m.user]));
      expect(new Set(fields.map((f) => f[2])).size).toBe(1);
      expect(new Set(fields.map((f) => `${f[3]}:${f[4]}`))).toEqual(new Set([`${m.address}:${m.port}`]));
      // The server side agrees: one session process (sshd: USER@notty) for this user.
      const sessions = await run(t, `ps -u ${m.user} -o args= | grep -c '^sshd: ${m.user}@notty'`);
      expect(sessions.out.trim()).toBe("1");
    }
    expect(elapsed).toBeLessThan(5000);
    await Promise.all(ts.map((t) => t.close()));
  });

  test("more commands at once than the server's session limit wait their turn on the same connection", async () => {
    const t = open(hostOf(0));
    const rs = await Promise.all(Array.from({ length: 15 }, (_, i) => run(t, `sleep 0.1; echo ${i}`)));
    expect(rs.map((r) => r.out)).toEqual(Array.from({ length: 15 }, (_, i) => `${i}\n`));
    expect(rs.every((r) => r.code === 0)).toBe(true);
    expect(t.connectCount).toBe(1);
    await t.close();
  });

  test("a lost connection fails the running command clearly, and the next exec reconnects", async () => {
    const t = open(hostOf(3));
    const m = machine(3);
    let markStarted = () => {};
    const started = new Promise<void>((r) => {
      markStarted = r;
    });
    const pending = run(t, "echo go; sleep 741", { onStdout: () => markStarted() });
    await started;
    // Kill the server side of the connection (the session processes run as the user).
    Bun.spawnSync(["pkill", "-KILL", "-u", m.user]);
    const e = await rejection(pending);
    // Not a failure: whether the command ran to its end there is not known.
    expect(e.code).toBe("lost");
    expect(e.message).toContain("lost the connection to m4");
    expect(e.message).toContain("may have finished, failed, or still be running there");
    expect((await run(t, "echo back")).out).toBe("back\n");
    expect(t.connectCount).toBe(2);
    await t.close();
  });

  test("a frozen connection (its sshd stopped) is found by keepalives and is lost, not failed", async () => {
    const t = open(hostOf(2), { keepaliveMs: 200 });
    const m = machine(2);
    let markStarted = () => {};
    const started = new Promise<void>((r) => {
      markStarted = r;
    });
    const pending = run(t, "echo go; sleep 742", { onStdout: () => markStarted() });
    await started;
    const sessions = Bun.spawnSync(["pgrep", "-u", m.user, "-x", "sshd"])
      .stdout.toString()
      .trim()
      .split("\n");
    // A session of an earlier test may be ending at this moment: it is gone, nothing to signal.
    const signal = (sig: NodeJS.Signals) => {
      for (const pid of sessions.filter(Boolean))
        try {
          process.kill(Number(pid), sig);
        } catch {}
    };
    signal("SIGSTOP");
    try {
      const e = await rejection(pending);
      expect(e.code).toBe("lost");
    } finally {
      signal("SIGKILL");
    }
    Bun.spawnSync(["pkill", "-KILL", "-u", m.user, "-f", "sleep 742"]);
  });

  test("close() ends the connection; exec after it is refused", async () => {
    const t = open(hostOf(0));
    expect((await run(t, "true")).code).toBe(0);
    await t.close();
    const e = await rejection(t.exec("true"));
    expect(e.code).toBe("closed");
    expect(e.host).toBe("m1");
  });
});

describe("exec", () => {
  test("streams stdout and stderr as they come and returns the exit code", async () => {
    const t = open(hostOf(0));
    const c = collect();
    const started = performance.now();
    const r = await t.exec("echo one; echo err1 >&2; sleep 0.4; echo two; exit 3", c.opts);
    const ended = performance.now();
    expect(r).toEqual({ code: 3, timedOut: false, cancelled: false });
    expect(c.out()).toBe("one\ntwo\n");
    expect(c.err()).toBe("err1\n");
    const first = c.chunks.find((x) => x.text.includes("one"));
    expect(first).toBeDefined();
    expect(ended - (first?.at ?? ended)).toBeGreaterThan(250);
    expect(ended - started).toBeGreaterThan(400);

    expect((await run(t, "true")).code).toBe(0);
    expect((await run(t, "false")).code).toBe(1);
    const missing = await run(t, "no-such-command-rb");
    expect(missing.code).toBe(127);
    expect(missing.err).toContain("no-such-command-rb");
    await t.close();
  });

  test("plain bash: no strict mode, no arguments, starts in the home dir, the script's stdin is empty", async () => {
    const t = open(hostOf(1));
    const m = machine(1);
    const r = await run(t, 'false; echo "after [$UNSET_RB_VAR] [$#] $BASH_VERSION"; pwd; false | true');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^after \[\] \[0\] \d/);
    expect(r.out).toContain(`\n${m.home}\n`);
    // The script itself came on stdin: what it reads from stdin is nothing, at once.
    const eof = await run(t, "cat; echo done");
    expect(eof.out).toBe("done\n");
    expect((await run(t, "cat <<EOF\nhere $((1 + 1)) wörld\nEOF")).out).toBe("here 2 wörld\n");
    await t.close();
  });

  test("the script never stands on a command line: another user's ps shows only the wrapper", async () => {
    const t = open(hostOf(1));
    const started: { pid: number; id: string }[] = [];
    const pending = run(t, "echo token-SshPsSecret-2 >/dev/null; sleep 0.8", {
      onStart: (p) => started.push(p),
    });
    await Bun.sleep(400);
    // As root on the same machine: every process's command line.
    const ps = Bun.spawnSync(["ps", "-eo", "args"]).stdout.toString();
    expect(ps).not.toContain("SshPsSecret");
    expect((await pending).code).toBe(0);
    expect(started).toHaveLength(1);
    expect(started[0]?.pid).toBeGreaterThan(1);
    expect(started[0]?.id).toMatch(/^\d+@[0-9a-f-]+$/);
  });

  test("login shell noise from rc files is not part of the output", async () => {
    const m = machine(2);
    const rc = join(m.home, ".bashrc");
    const before = readFileSync(rc, "utf8");
    writeFileSync(rc, `echo RC-NOISE; echo RC-NOISE-ERR >&2\n${before}`);
    try {
      const t = open(hostOf(2));
      const r = await run(t, "echo clean; echo clean-err >&2");
      expect(r.out).toBe("clean\n");
      expect(r.err).toBe("clean-err\n");
      await t.close();
    } finally {
      writeFileSync(rc, before);
    }
  });

  test("a background process with nohup and redirects returns at once and keeps running", async () => {
    const t = open(hostOf(3));
    const started = performance.now();
    const r = await run(t, "nohup sleep 77 >bg.log 2>&1 </dev/null & echo $!");
    expect(performance.now() - started).toBeLessThan(1000);
    expect(r.code).toBe(0);
    const pid = Number(r.out.trim());
    expect(pid).toBeGreaterThan(1);
    const alive = await run(t, `ps -o args= -p ${pid}`);
    expect(alive.out.trim()).toBe("sleep 77");
    await run(t, `kill ${pid}`);
    await t.close();
  });
});

describe("cancel and timeout kill the command and its children on the machine", () => {
  test("abort signal", async () => {
    const t = open(hostOf(1));
    const checker = open(hostOf(1));
    const ac = new AbortController();
    const started = performance.now();
    const r = await run(t, "echo started; sleep 701 & (sleep 702; echo child) & sleep 703; echo never", {
      signal: ac.signal,
      onStdout: (s) => {
        if (s.includes("started")) ac.abort();
      },
    });
    expect(performance.now() - started).toBeLessThan(3000);
    expect(r).toMatchObject({ code: null, cancelled: true, timedOut: false });
    expect(r.out).not.toContain("never");
    // Nothing an operator reads is noise: not setsid's complaint that its child was killed.
    expect(r.err).toBe("");
    expect(await eventually(() => liveProcesses(checker, /sleep 70[123]/))).toEqual([]);
    expect(checker.connectCount).toBe(1);
    await Promise.all([t.close(), checker.close()]);
  });

  test("timeout, including a child that ignores SIGTERM (SIGKILL after the grace period)", async () => {
    const t = open(hostOf(2), { killGraceMs: 300 });
    const checker = open(hostOf(2));
    const started = performance.now();
    const r = await run(t, "(trap '' TERM; sleep 711) & sleep 712", { timeoutMs: 300 });
    expect(r).toMatchObject({ code: null, timedOut: true, cancelled: false });
    expect(r.err).toBe("");
    expect(performance.now() - started).toBeLessThan(3000);
    expect(await eventually(() => liveProcesses(checker, /sleep 71[12]/))).toEqual([]);
    await Promise.all([t.close(), checker.close()]);
  });

  test("the portable wrapper (no setsid -w) kills the same way", async () => {
    const t = open(hostOf(3), { wrapper: "portable" });
    const checker = open(hostOf(3));
    const r = await run(t, 'echo hi; read -r x; echo "got [$x]"; exit 4');
    expect(r).toMatchObject({ code: 4, out: "hi\ngot []\n" });
    const killed = await run(t, "sleep 721 & sleep 722", { timeoutMs: 300 });
    expect(killed).toMatchObject({ code: null, timedOut: true });
    expect(await eventually(() => liveProcesses(checker, /sleep 72[12]/))).toEqual([]);
    await Promise.all([t.close(), checker.close()]);
  });

  test("close() while a command runs kills it", async () => {
    const t = open(hostOf(0));
    const checker = open(hostOf(0));
    let markStarted = () => {};
    const started = new Promise<void>((r) => {
      markStarted = r;
    });
    const pending = run(t, "echo go; sleep 731", { onStdout: () => markStarted() });
    await started;
    await t.close();
    expect(await pending).toMatchObject({ code: null, cancelled: true });
    expect(await eventually(() => liveProcesses(checker, /sleep 731/))).toEqual([]);
    await checker.close();
  });

  test("an already aborted signal runs nothing", async () => {
    const t = open(hostOf(0));
    const ac = new AbortController();
    ac.abort();
    const r = await t.exec("touch ~/aborted-marker", { signal: ac.signal });
    expect(r).toEqual({ code: null, timedOut: false, cancelled: true });
    expect(existsSync(join(machine(0).home, "aborted-marker"))).toBe(false);
    await t.close();
  });
});

describe("host keys", () => {
  function ssh_keygen_fingerprint(pub: string): string {
    const r = Bun.spawnSync(["ssh-keygen", "-lf", pub]);
    return r.stdout.toString().split(" ")[1] ?? "";
  }

  test("an unknown host key is refused (nothing runs) with the fingerprint ssh-keygen -lf shows", async () => {
    const m = machine(0);
    const kh = join(scratch, "kh-empty");
    writeFileSync(kh, "");
    const asked: HostKeyQuestion[] = [];
    const t = open(hostOf(0, { knownHosts: kh }), {
      decideHostKey: async (q) => {
        asked.push(q);
        return false;
      },
    });
    const e = await rejection(t.exec("touch ~/unknown-key-marker"));
    expect(e.code).toBe("host-key-unknown");
    expect(asked).toHaveLength(1);
    const fp = ssh_keygen_fingerprint(m.hostKeyPub);
    expect(fp).toMatch(/^SHA256:/);
    expect(asked[0]).toEqual({
      host: "m1",
      address: m.address,
      port: m.port,
      keyType: "ssh-ed25519",
      fingerprint: fp,
    });
    expect(e.message).toContain(fp);
    expect(e.message).toContain("m1");
    expect(existsSync(join(m.home, "unknown-key-marker"))).toBe(false);
    expect(readFileSync(kh, "utf8")).toBe("");
  });

  test("without a decider, unknown keys are refused (non-interactive default)", async () => {
    const kh = join(scratch, "kh-missing-dir", "known_hosts");
    const t = open(hostOf(1, { knownHosts: kh }));
    const e = await rejection(t.exec("true"));
    expect(e.code).toBe("host-key-unknown");
    expect(existsSync(kh)).toBe(false);
  });

  test("an accepted unknown key is appended to known_hosts and trusted afterwards", async () => {
    const m = machine(1);
    const kh = join(scratch, "kh-accept", "known_hosts");
    const t = open(hostOf(1, { knownHosts: kh }), { decideHostKey: async () => true });
    expect((await run(t, "echo ok")).out).toBe("ok\n");
    expect(readFileSync(kh, "utf8")).toBe(`${m.knownHostsLine}\n`);
    await t.close();
    const again = open(hostOf(1, { knownHosts: kh }), {
      decideHostKey: async () => {
        throw new Error("must not be asked for a known key");
      },
    });
    expect((await run(again, "echo again")).out).toBe("again\n");
    await again.close();
  });

  test("hashed known_hosts entries (ssh-keygen -H) are recognised", async () => {
    const kh = join(scratch, "kh-hashed");
    writeFileSync(kh, readFileSync(h.knownHosts, "utf8"));
    expect(Bun.spawnSync(["ssh-keygen", "-H", "-f", kh]).exitCode).toBe(0);
    expect(readFileSync(kh, "utf8")).toStartWith("|1|");
    const t = open(hostOf(2, { knownHosts: kh }));
    expect((await run(t, "echo hashed")).out).toBe("hashed\n");
    await t.close();
  });

  test("a changed host key is refused loudly with both fingerprints, the decider is not asked", async () => {
    const m = machine(2);
    const otherPub = keygen(join(scratch, "other-host-key"));
    const kh = join(scratch, "kh-changed");
    writeFileSync(kh, `# a comment\n[${m.address}]:${m.port} ${otherPub.split(" ").slice(0, 2).join(" ")}\n`);
    let asked = false;
    const t = open(hostOf(2, { knownHosts: kh }), {
      decideHostKey: async () => {
        asked = true;
        return true;
      },
    });
    const e = await rejection(t.exec("touch ~/changed-key-marker"));
    expect(e.code).toBe("host-key-changed");
    expect(asked).toBe(false);
    expect(e.message).toContain("HOST KEY CHANGED");
    expect(e.message).toContain(m.fingerprint);
    expect(e.message).toContain(ssh_keygen_fingerprint(join(scratch, "other-host-key.pub")));
    expect(e.message).toContain("line 2");
    expect(existsSync(join(m.home, "changed-key-marker"))).toBe(false);
    expect(readFileSync(kh, "utf8")).not.toContain(m.hostPublicKey);
  });

  test("@revoked refuses the key; @cert-authority is reported as not supported", async () => {
    const m = machine(3);
    const revoked = join(scratch, "kh-revoked");
    writeFileSync(revoked, `@revoked * ${m.hostPublicKey}\n${m.knownHostsLine}\n`);
    const e1 = await rejection(open(hostOf(3, { knownHosts: revoked })).exec("true"));
    expect(e1.code).toBe("host-key-changed");
    expect(e1.message).toContain("@revoked");

    const ca = join(scratch, "kh-ca");
    writeFileSync(ca, `@cert-authority [${m.address}]:${m.port} ${m.hostPublicKey}\n`);
    const e2 = await rejection(open(hostOf(3, { knownHosts: ca })).exec("true"));
    expect(e2.code).toBe("host-key-unknown");
    expect(e2.message).toContain("@cert-authority");
    expect(e2.message).toContain("line 1");
  });
});

describe("upload", () => {
  test("creates directories, sets the mode, writes the exact content, atomically", async () => {
    const t = open(hostOf(0));
    const m = machine(0);
    const content = "line 1\nünïcode ✓\n'quotes' \"double\" $HOME `x`\n\tlast without newline";
    await t.upload("~/up/deep/er/app.conf", content, 0o640);
    const st = await run(t, "stat -c '%a %U' ~/up/deep/er/app.conf; base64 -w0 ~/up/deep/er/app.conf");
    const [mode, b64] = st.out.trim().split("\n");
    expect(mode).toBe(`640 ${m.user}`);
    expect(Buffer.from(b64 ?? "", "base64").toString("utf8")).toBe(content);

    // Replacing an existing file, new mode, and no temp file left behind.
    await t.upload("~/up/deep/er/app.conf", "v2\n", 0o755);
    const after = await run(
      t,
      "stat -c %a ~/up/deep/er/app.conf; cat ~/up/deep/er/app.conf; ls -A ~/up/deep/er",
    );
    expect(after.out).toBe("755\nv2\napp.conf\n");

    // Absolute paths are used as they are.
    await t.upload(`${m.home}/abs/file.txt`, "abs", 0o600);
    expect((await run(t, "cat ~/abs/file.txt")).out).toBe("abs");
    await t.close();
  });

  test("a failing upload is an upload-failed error naming the machine and path", async () => {
    const t = open(hostOf(0));
    await t.upload("~/plainfile", "x", 0o644);
    const e = await rejection(t.upload("~/plainfile/sub/file", "y", 0o644));
    expect(e.code).toBe("upload-failed");
    expect(e.message).toContain("m1");
    expect(e.message).toContain("~/plainfile/sub/file");
    const denied = await rejection(t.upload("/root/not-allowed.txt", "y", 0o644));
    expect(denied.code).toBe("upload-failed");
    await t.close();
  });
});

describe("authentication and connection errors", () => {
  test("a key the machine does not accept: auth-failed naming the machine, user and key", async () => {
    const key = join(scratch, "stranger");
    keygen(key);
    const e = await rejection(open(hostOf(1, { identity: key })).exec("true"));
    expect(e.code).toBe("auth-failed");
    expect(e.message).toContain(`m2 (rbtest2@127.0.0.3:${machine(1).port})`);
    expect(e.message).toContain(key);
  });

  test("a passphrase key: asked through the callback, retried when wrong, never shown", async () => {
    const key = join(scratch, "with-pass");
    h.authorize(keygen(key, "s3cret-pass"));
    const asked: number[] = [];
    const t = open(hostOf(2, { identity: key }), {
      passphrase: async (q) => {
        asked.push(q.attempt);
        expect(q.identity).toBe(key);
        return q.attempt === 1 ? "wrong-pass" : "s3cret-pass";
      },
    });
    expect((await run(t, "echo in")).out).toBe("in\n");
    expect(asked).toEqual([1, 2]);
    await t.close();

    const bad = await rejection(
      open(hostOf(2, { identity: key }), { passphrase: async () => "wrong-pass" }).exec("true"),
    );
    expect(bad.code).toBe("auth-failed");
    expect(bad.message).toContain("wrong passphrase");
    expect(bad.message).not.toContain("wrong-pass");
    const none = await rejection(open(hostOf(2, { identity: key })).exec("true"));
    expect(none.message).toContain("is encrypted");

    // Machines sharing a key: with rememberPassphrases the operator is asked once.
    let asks = 0;
    const shared = rememberPassphrases(async () => {
      asks++;
      return "s3cret-pass";
    });
    const both = [1, 3].map((i) => open(hostOf(i, { identity: key }), { passphrase: shared }));
    const outs = await Promise.all(both.map((t) => run(t, "id -un")));
    expect(outs.map((r) => r.out)).toEqual(["rbtest2\n", "rbtest4\n"]);
    expect(asks).toBe(1);
    await Promise.all(both.map((t) => t.close()));
  });

  test("nothing listening: connect-failed naming the machine", async () => {
    const e = await rejection(open(hostOf(0, { port: 1 })).exec("true"));
    expect(e.code).toBe("connect-failed");
    expect(e.message).toContain("m1 (rbtest1@127.0.0.2:1)");
    expect(e.message).toContain("connection refused");
  });

  test("a server that never answers: connect-failed after the login time limit", async () => {
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as AddressInfo).port;
    try {
      const started = performance.now();
      const e = await rejection(
        open(hostOf(0, { address: "127.0.0.1", port }), { connectTimeoutMs: 300 }).exec("true"),
      );
      expect(e.code).toBe("connect-failed");
      expect(e.message).toContain("no SSH login within 300 ms");
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      silent.close();
    }
  });

  test("the time an operator takes to answer the host key question does not count", async () => {
    const kh = join(scratch, "kh-slow-answer");
    const t = open(hostOf(3, { knownHosts: kh }), {
      // Generous for the login itself (pure-JS crypto on a loaded CI machine), shorter than the answer.
      connectTimeoutMs: 1500,
      decideHostKey: async () => {
        await Bun.sleep(2000);
        return true;
      },
    });
    expect((await run(t, "echo answered")).out).toBe("answered\n");
    await t.close();
  });

  test("agent: true without SSH_AUTH_SOCK says what to do", async () => {
    const saved = process.env.SSH_AUTH_SOCK;
    delete process.env.SSH_AUTH_SOCK;
    try {
      const e = await rejection(open(hostOf(0, { agent: true, identity: undefined })).exec("true"));
      expect(e.code).toBe("auth-failed");
      expect(e.message).toContain("SSH_AUTH_SOCK");
    } finally {
      if (saved !== undefined) process.env.SSH_AUTH_SOCK = saved;
    }
  });
});
