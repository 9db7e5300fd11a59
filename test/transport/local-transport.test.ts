import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalTransport } from "../../src/transport/local-transport.ts";
import { type ExecOptions, TransportError } from "../../src/transport/transport.ts";

const home = mkdtempSync(join(tmpdir(), "rb-local-test-"));
const opened: LocalTransport[] = [];

afterAll(async () => {
  await Promise.all(opened.map((t) => t.close()));
  rmSync(home, { recursive: true, force: true });
});

function open(killGraceMs = 500): LocalTransport {
  const t = new LocalTransport("local", { home, killGraceMs });
  opened.push(t);
  return t;
}

async function run(t: LocalTransport, command: string, extra: ExecOptions = {}) {
  let out = "";
  let err = "";
  const chunks: { text: string; at: number }[] = [];
  const r = await t.exec(command, {
    ...extra,
    onStdout: (s) => {
      out += s;
      chunks.push({ text: s, at: performance.now() });
      extra.onStdout?.(s);
    },
    onStderr: (s) => {
      err += s;
      extra.onStderr?.(s);
    },
  });
  return { ...r, out, err, chunks };
}

/** Live (non-zombie) processes on this machine whose command line matches `re`. */
function live(re: RegExp): string[] {
  const ps = Bun.spawnSync(["ps", "-e", "-o", "pid=,stat=,args="]).stdout.toString();
  return ps
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/^\d+\s+Z/.test(l) && re.test(l) && !l.includes("ps -e"));
}

async function eventually(re: RegExp, ms = 3000): Promise<string[]> {
  const deadline = performance.now() + ms;
  let last = live(re);
  while (last.length > 0 && performance.now() < deadline) {
    await Bun.sleep(50);
    last = live(re);
  }
  return last;
}

describe("local exec", () => {
  test("streams stdout and stderr as they come and returns the exit code", async () => {
    const t = open();
    const r = await run(t, "echo one; echo err1 >&2; sleep 0.4; echo two; exit 3");
    const ended = performance.now();
    expect(r).toMatchObject({ code: 3, timedOut: false, cancelled: false, out: "one\ntwo\n", err: "err1\n" });
    expect(ended - (r.chunks[0]?.at ?? ended)).toBeGreaterThan(250);
    expect((await run(t, "true")).code).toBe(0);
    const missing = await run(t, "no-such-command-rb");
    expect(missing.code).toBe(127);
    expect(missing.err).toContain("no-such-command-rb");
    // A command killed by a signal nobody asked for says which one.
    expect(await run(t, "kill -TERM $$")).toMatchObject({ code: null, signal: "TERM", cancelled: false });
  });

  test("plain bash, not zx's set -euo pipefail; starts in the home dir; the script's stdin is empty", async () => {
    const t = open();
    const r = await run(t, 'false; echo "after [$UNSET_RB_VAR] [$#]"; false | true; pwd; echo "$HOME"');
    expect(r.code).toBe(0);
    expect(r.out).toBe(`after [] [0]\n${home}\n${home}\n`);
    // The script itself came on stdin: what it reads from stdin is nothing, at once.
    expect((await run(t, "cat; echo done")).out).toBe("done\n");
    expect((await run(t, 'read -r x; echo "[$x] $?"')).out).toBe("[] 1\n");
    // A script that ends in a here-document, with no newline after its delimiter.
    expect((await run(t, "cat <<EOF\nhere $((1 + 1))\nEOF")).out).toBe("here 2\n");
  });

  test("the script never stands on a command line (ps shows only the wrapper)", async () => {
    const t = open();
    let pid = 0;
    const pending = run(t, "echo token-LocalPsSecret-1 >/dev/null; sleep 0.6", {
      onStart: (p) => {
        pid = p.pid;
      },
    });
    await Bun.sleep(300);
    const ps = Bun.spawnSync(["ps", "-eo", "args"]).stdout.toString();
    expect(ps).not.toContain("LocalPsSecret");
    expect(pid).toBeGreaterThan(1);
    expect((await pending).code).toBe(0);
  });

  test("a background process with nohup and redirects returns at once and keeps running", async () => {
    const t = open();
    const started = performance.now();
    const r = await run(t, "nohup sleep 877 >bg.log 2>&1 </dev/null & echo $!");
    expect(performance.now() - started).toBeLessThan(1000);
    const pid = Number(r.out.trim());
    expect(live(/sleep 877/)).toHaveLength(1);
    process.kill(pid);
  });

  test("zx does not write the command's stderr to the terminal", () => {
    const script = `
      import { LocalTransport } from ${JSON.stringify(join(import.meta.dir, "../../src/transport/local-transport.ts"))};
      const t = new LocalTransport("local");
      let got = "";
      await t.exec("echo to-stderr >&2; echo to-stdout", { onStderr: (s) => { got += s; } });
      console.log("collected:" + got.trim());
    `;
    const file = join(home, "leak-check.ts");
    writeFileSync(file, script);
    const p = Bun.spawnSync(["bun", file]);
    expect(p.stderr.toString()).toBe("");
    expect(p.stdout.toString()).toBe("collected:to-stderr\n");
  });
});

describe("local cancel and timeout kill the whole process tree", () => {
  test("timeout", async () => {
    const t = open();
    const started = performance.now();
    const r = await run(t, "sleep 801 & (sleep 802; echo x) & sleep 803", { timeoutMs: 300 });
    expect(r).toMatchObject({ code: null, timedOut: true, cancelled: false });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(await eventually(/sleep 80[123]/)).toEqual([]);
  });

  test("abort, including a child that ignores SIGTERM and one that left the group with setsid", async () => {
    const t = open(300);
    const ac = new AbortController();
    const r = await run(
      t,
      "echo started; (trap '' TERM; sleep 811) & setsid sleep 812 & sleep 813; echo never",
      {
        signal: ac.signal,
        onStdout: (s) => {
          if (s.includes("started")) setTimeout(() => ac.abort(), 100);
        },
      },
    );
    expect(r).toMatchObject({ code: null, cancelled: true, timedOut: false });
    expect(r.out).not.toContain("never");
    expect(await eventually(/sleep 81[123]/)).toEqual([]);
  });

  test("an already aborted signal runs nothing; close() kills what runs and refuses more", async () => {
    const t = open();
    const ac = new AbortController();
    ac.abort();
    expect(await t.exec("touch aborted-marker", { signal: ac.signal })).toEqual({
      code: null,
      timedOut: false,
      cancelled: true,
    });
    expect(existsSync(join(home, "aborted-marker"))).toBe(false);

    let markStarted = () => {};
    const started = new Promise<void>((r) => {
      markStarted = r;
    });
    const pending = run(t, "echo go; sleep 831", { onStdout: () => markStarted() });
    await started;
    await t.close();
    expect(await pending).toMatchObject({ code: null, cancelled: true });
    expect(await eventually(/sleep 831/)).toEqual([]);
    await expect(t.exec("true")).rejects.toBeInstanceOf(TransportError);
  });
});

describe("local upload", () => {
  test("expands ~/, creates directories, sets the mode, writes the exact content, atomically", async () => {
    const t = open();
    const content = "line 1\nünïcode ✓\n'quotes' $HOME\n\tlast";
    await t.upload("~/conf/deep/app.conf", content, 0o640);
    const file = join(home, "conf", "deep", "app.conf");
    expect(readFileSync(file, "utf8")).toBe(content);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    await t.upload("~/conf/deep/app.conf", "v2\n", 0o755);
    expect(readFileSync(file, "utf8")).toBe("v2\n");
    expect(statSync(file).mode & 0o777).toBe(0o755);
    expect(readdirSync(join(home, "conf", "deep"))).toEqual(["app.conf"]);
    await t.upload(join(home, "abs.txt"), "abs", 0o600);
    expect(readFileSync(join(home, "abs.txt"), "utf8")).toBe("abs");
  });

  test("a failing upload is an upload-failed error", async () => {
    const t = open();
    await t.upload("~/plain", "x", 0o644);
    try {
      await t.upload("~/plain/sub/file", "y", 0o644);
      throw new Error("expected a failure");
    } catch (e) {
      expect(e).toBeInstanceOf(TransportError);
      expect((e as TransportError).code).toBe("upload-failed");
      expect((e as TransportError).message).toContain("~/plain/sub/file");
    }
  });
});
