import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SshdHarness, startSshdHarness } from "../helpers/sshd-harness.ts";
import { setPassword, sudoRules } from "../helpers/sudoers.ts";
import { runCli } from "./run-cli.ts";

/**
 * `become:` and `as=` through the real CLI over real OpenSSH: m1's login may become the service user
 * without a password, m2's only with its password. The service user is the harness's third user.
 */
const PASSWORD = "s3cret-sudo-pw";
let h: SshdHarness;
let dir: string;
let removeRules = () => {};
let svc: string;
let svcHome: string;

beforeAll(async () => {
  h = await startSshdHarness({ count: 3, userPrefix: "rbbecli", firstAddress: 216, lockWaitMs: 60_000 });
  const [a, b, s] = h.machines;
  svc = s?.user as string;
  svcHome = s?.home as string;
  setPassword(b?.user as string, PASSWORD);
  removeRules = sudoRules("become-cli", [
    `${a?.user} ALL=(${svc}) NOPASSWD: ALL`,
    `Defaults:${b?.user} !lecture, passwd_tries=1`,
    `${b?.user} ALL=(${svc}) ALL`,
  ]);
  dir = mkdtempSync(join(tmpdir(), "runbook-become-cli-"));
  chmodSync(dir, 0o755);
}, 90_000);

afterAll(async () => {
  removeRules();
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function inventory(name: string, machines: Record<string, { roles: string[]; become?: string }>): string {
  return h.writeInventory(join(dir, `${name}.yaml`), { machines });
}

function runbook(name: string, body: string): string {
  const file = join(dir, `${name}.md`);
  writeFileSync(file, `---\ntitle: Become ${name}\nroles: [app]\n---\n\n# Phase\n\n${body}`);
  return file;
}

const SERVICE_STEPS = `## Write the config {#config}

\`\`\`properties {file="~/svc/app.properties" on=app mode=0600}
owner=service
\`\`\`

## Start it {#start}

\`\`\`sh {on=app background log="~/svc/app.log" wait-log="~/svc/app.log" wait-for="^up$"}
echo "$$" > ~/svc/app.pid
echo up
exec sleep 987
\`\`\`

## Who and where {#who}

\`\`\`sh {on=app risk=read}
echo "as $(id -un) in $HOME"
ls ~/.runbook/lock/info
\`\`\`

## As the login user {#login}

\`\`\`sh {on=app as="{{ host.user }}"}
id -un
\`\`\`
`;

describe("become over ssh", () => {
  test("become: files, background processes, commands and the lock are the service user's; as= overrides; the plan says so", () => {
    const inv = inventory("nopasswd", { m1: { roles: ["app"], become: svc } });
    const file = runbook("nopasswd", SERVICE_STEPS);
    const env = { RUNBOOK_STATE_DIR: join(dir, "state-1") };
    const plan = runCli(["plan", file, "-i", inv], { env });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(new RegExp(`m1 .* runs as ${svc}`));
    // Each action says who it runs as only where it differs from its machine: here as= the login user.
    expect(plan.stdout).not.toContain(`as ${svc} ·`);
    expect(plan.stdout).toContain(`as ${h.machines[0]?.user} (the login) · timeout 10m`);

    const r = runCli(["run", file, "-i", inv, "--yes"], { env, timeoutMs: 120_000 });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const conf = statSync(join(svcHome, "svc", "app.properties"));
    expect(conf.uid).toBe(h.machines[2]?.uid as number);
    expect(conf.mode & 0o777).toBe(0o600);
    const pid = Number(readFileSync(join(svcHome, "svc", "app.pid"), "utf8"));
    expect(statSync(`/proc/${pid}`).uid).toBe(h.machines[2]?.uid as number);
    process.kill(pid, "SIGKILL");
    // The lock was in the service user's home while the run held it.
    expect(r.stdout).toContain(`as ${svc} in ${svcHome}`);
    expect(r.stdout).toMatch(/\.runbook\/lock\/info/);
    expect(r.stdout).toContain(`m1 | ${h.machines[0]?.user}`);
  }, 180_000);

  test("a running command is killed as the service user when the run is stopped", async () => {
    const inv = inventory("kill", { m1: { roles: ["app"], become: svc } });
    const file = runbook(
      "kill",
      "## Long {#long}\n\n```sh {on=app}\ntouch ~/long-started\n(trap '' TERM; sleep 961) & sleep 962\n```\n",
    );
    rmSync(join(svcHome, "long-started"), { force: true });
    const proc = Bun.spawn(
      ["bun", join(import.meta.dir, "..", "..", "src", "cli", "main.ts"), "run", file, "-i", inv, "--yes"],
      {
        env: { ...process.env, RUNBOOK_STATE_DIR: join(dir, "state-kill"), NO_COLOR: "" },
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    try {
      const deadline = Date.now() + 60_000;
      while (!existsSync(join(svcHome, "long-started")) && Date.now() < deadline) await Bun.sleep(100);
      await Bun.sleep(300);
      proc.kill("SIGINT");
      expect(await proc.exited).toBe(3);
    } finally {
      proc.kill("SIGKILL");
    }
    const left = () =>
      Bun.spawnSync(["ps", "-u", svc, "-o", "stat=,args="])
        .stdout.toString()
        .split("\n")
        .filter((l) => /sleep 96[12]/.test(l) && !/^Z/.test(l.trim()));
    const deadline = Date.now() + 10_000;
    while (left().length > 0 && Date.now() < deadline) await Bun.sleep(100);
    expect(left()).toEqual([]);
  }, 120_000);

  test("where sudo asks for a password: a wrong one refuses the run before step 1; the right one runs; it is found nowhere", () => {
    const inv = inventory("passwd", { m2: { roles: ["app"], become: svc } });
    const file = runbook("passwd", "## Mark {#mark}\n\n```sh {on=app}\nid -un > ~/marked-by-m2\n```\n");
    rmSync(join(svcHome, "marked-by-m2"), { force: true });
    const state = join(dir, "state-pw");
    const none = runCli(["run", file, "-i", inv, "--yes"], { env: { RUNBOOK_STATE_DIR: state } });
    expect(none.code).toBe(4);
    expect(none.stdout + none.stderr).toContain(`sudo on m2 asks for a password to run commands as ${svc}`);
    const wrong = runCli(["run", file, "-i", inv, "--yes"], {
      env: { RUNBOOK_STATE_DIR: state, RUNBOOK_BECOME_PASSWORD: "not-the-password" },
      timeoutMs: 60_000,
    });
    expect(wrong.code).toBe(4);
    expect(wrong.stdout + wrong.stderr).toContain(
      `sudo on m2 refused the password to run commands as ${svc}`,
    );
    expect(existsSync(join(svcHome, "marked-by-m2"))).toBe(false);

    // The run stopped in the test before still holds the service user's lock, taken through m1's
    // login: m2's login, becoming the same user, finds it (a lock is the account's, not the login's).
    const locked = runCli(["run", file, "-i", inv, "--yes"], {
      env: { RUNBOOK_STATE_DIR: state, RUNBOOK_BECOME_PASSWORD: PASSWORD },
      timeoutMs: 60_000,
    });
    expect(locked.code).toBe(4);
    expect(locked.stdout).toMatch(/machine m2 is locked by .*become-kill/);
    const right = runCli(["run", file, "-i", inv, "--yes", "--json", "--break-lock"], {
      env: { RUNBOOK_STATE_DIR: state, RUNBOOK_BECOME_PASSWORD: PASSWORD },
      timeoutMs: 60_000,
    });
    expect(right.stderr).toBe("");
    expect(right.code).toBe(0);
    expect(readFileSync(join(svcHome, "marked-by-m2"), "utf8")).toBe(`${svc}\n`);
    expect(right.stdout).toContain('"become-password"');
    for (const out of [none.stdout, none.stderr, wrong.stdout, wrong.stderr, locked.stdout, right.stdout]) {
      expect(out).not.toContain(PASSWORD);
      expect(out).not.toContain("not-the-password");
    }
    const files = readdirSync(state, { recursive: true }).map(String);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const p = join(state, f);
      if (statSync(p).isFile()) expect(readFileSync(p, "utf8")).not.toContain(PASSWORD);
    }
  }, 180_000);
});
