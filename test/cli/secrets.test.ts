import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SshdHarness, startSshdHarness } from "../helpers/sshd-harness.ts";
import { REPO, runCli } from "./run-cli.ts";

/**
 * Secrets never leave the runner unmasked, over real OpenSSH machines: not in a wait line, not in
 * pieces when output arrives in chunks, not line by line when the secret has several lines, and not on
 * a command line that another user of the machine can read with ps.
 */
let harness: SshdHarness;
let dir: string;
let inventory: string;
let env: Record<string, string>;

beforeAll(async () => {
  harness = await startSshdHarness({ count: 2, lockWaitMs: 30_000 });
  dir = mkdtempSync(join(tmpdir(), "runbook-secrets-"));
  inventory = harness.writeInventory(join(dir, "inventory.yaml"), {
    machines: { m1: { roles: ["app"] }, m2: { roles: ["app"] } },
  });
  env = { RUNBOOK_STATE_DIR: join(dir, "state") };
}, 60_000);

afterAll(async () => {
  await harness?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runbook(name: string, body: string): string {
  const file = join(dir, `${name}.md`);
  writeFileSync(
    file,
    `---\ntitle: ${name}\nroles: [app]\nvars:\n  token: { secret: true }\n---\n\n# Phase\n\n${body}`,
  );
  return file;
}

/** Every text a run leaves: its plain output, its JSON stream, journal, plan, log and timeline. */
function everything(file: string, secretEnv: Record<string, string>): string {
  const plain = runCli(["run", file, "-i", inventory, "--yes", "--break-lock"], {
    env: { ...env, ...secretEnv },
  });
  const json = runCli(["run", file, "-i", inventory, "--yes", "--json", "--break-lock"], {
    env: { ...env, ...secretEnv },
  });
  const texts = [plain.stdout, plain.stderr, json.stdout, json.stderr];
  for (const id of readdirSync(join(dir, "state", "runs"))) {
    const runDir = join(dir, "state", "runs", id);
    for (const f of readdirSync(runDir)) texts.push(readFileSync(join(runDir, f), "utf8"));
    texts.push(runCli(["log", id], { env }).stdout, runCli(["log", id, "--timeline"], { env }).stdout);
  }
  return texts.join("\n---\n");
}

/** Where `piece` occurs in `text`, with a little context (a failure stays readable), or "". */
function around(text: string, piece: string): string {
  const at = text.indexOf(piece);
  return at < 0 ? "" : text.slice(Math.max(0, at - 150), at + piece.length + 150);
}

describe("secrets are masked in everything the runner writes", () => {
  test("a secret in wait-cmd: not in the waiting line, the JSON stream, the journal, log or timeline", () => {
    const secret = "WaitCmd-Secret-4421";
    const file = runbook(
      "wait-secret",
      '## Wait {#wait}\n\n```sh {on=app wait-cmd="test -n {{ token }} && test -f ~/ready-w" timeout=20s}\n(sleep 1; touch ~/ready-w) >/dev/null 2>&1 &\n```\n',
    );
    const all = everything(file, { RUNBOOK_SECRET_TOKEN: secret });
    expect(all).toContain('"status":"waiting"');
    expect(all).toContain("waiting");
    expect(all).toContain("⟨token⟩");
    expect(around(all, "WaitCmd-Secret")).toBe("");
  }, 60_000);

  test("a secret of several lines (a PEM key) is masked whole and line by line", () => {
    const pem = [
      "-----BEGIN OPENSSH PRIVATE KEY-----",
      "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
      "QyNTUxOQAAACCfakefakefakefakefakefakefakefakefakefakefakefakeAAAAJgfake",
      "-----END OPENSSH PRIVATE KEY-----",
    ].join("\n");
    const file = runbook(
      "pem",
      "## Key {#key}\n\n```sh {on=app}\nprintf '%s\\n' {{ token }}\nprintf '%s\\n' {{ token }} | sed -n 2p\nprintf '%s\\n' {{ token }} | tr -d '\\n'; echo\n```\n",
    );
    const all = everything(file, { RUNBOOK_SECRET_TOKEN: pem });
    expect(all).toContain("••••••");
    for (const line of pem.split("\n").slice(1, 3)) expect(around(all, line.slice(0, 24))).toBe("");
  }, 60_000);

  test("a secret that straddles two chunks of output (a long line, a write split by a pause) is masked whole", () => {
    const secret = "Straddle-Secret-9137";
    const file = runbook(
      "straddle",
      [
        "## Split {#split}",
        "",
        "```sh {on=app}",
        `s={{ token }}; printf '%s' "\${s:0:12}"; sleep 0.5; printf '%s\\n' "\${s:12} after a pause"`,
        // A line over 8 KB, cut by a pause in the middle of the secret.
        `head -c 8190 /dev/zero | tr '\\0' x; printf '%s' "\${s:0:12}"; sleep 0.5; printf '%s\\n' "\${s:12}"`,
        `head -c 65530 /dev/zero | tr '\\0' y; printf '%s\\n' {{ token }}`,
        "```",
        "",
      ].join("\n"),
    );
    const all = everything(file, { RUNBOOK_SECRET_TOKEN: secret });
    expect(all).toContain("•••••• after a pause");
    // Not the secret, and no piece of it either side of a cut.
    for (const piece of ["Straddle-Sec", "ret-9137", "le-Secret-9"]) expect(around(all, piece)).toBe("");
  }, 60_000);

  test("a secret under 3 characters is refused before anything runs (it could not be masked)", () => {
    const file = runbook(
      "short",
      "## Touch {#touch}\n\n```sh {on=app}\ntouch ~/short-ran; echo {{ token }}\n```\n",
    );
    const r = runCli(["run", file, "-i", inventory, "--yes", "--break-lock"], {
      env: { ...env, RUNBOOK_SECRET_TOKEN: "ab" },
    });
    expect(r.code).toBe(4);
    expect(r.stdout).toContain("refused: secret token is shorter than 3 characters: it cannot be masked");
    for (const m of harness.machines) expect(existsSync(join(m.home, "short-ran"))).toBe(false);
  }, 30_000);
});

describe("secrets never stand on a command line", () => {
  test("while a step runs (in the foreground and in the background) ps shows no secret", async () => {
    const secret = "PsVisible-7777-Bearer";
    const file = runbook(
      "ps",
      [
        "## Background {#bg}",
        "",
        "```sh {on=app background}",
        "token={{ token }}; sleep 3",
        "```",
        "",
        "## Foreground {#fg}",
        "",
        "```sh {on=app}",
        'curl_header="Authorization: Bearer {{ token }}"; sleep 2; echo done',
        "```",
        "",
      ].join("\n"),
    );
    const proc = Bun.spawn(
      ["bun", join(REPO, "src", "cli", "main.ts"), "run", file, "-i", inventory, "--yes", "--break-lock"],
      {
        cwd: REPO,
        env: { ...process.env, ...env, RUNBOOK_SECRET_TOKEN: secret },
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    const seen: string[] = [];
    let sawSleep = false;
    while (proc.exitCode === null) {
      // As root: every process of every user, with its whole command line.
      const ps = Bun.spawnSync(["ps", "-eww", "-o", "user=,args="]).stdout.toString();
      if (/rbtest\d\s+sleep [23]/.test(ps)) sawSleep = true;
      for (const line of ps.split("\n")) if (line.includes("PsVisible")) seen.push(line);
      await Bun.sleep(100);
    }
    const out = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    expect(out).toContain("m1 | done");
    expect(sawSleep).toBe(true);
    expect(seen).toEqual([]);
  }, 60_000);
});
