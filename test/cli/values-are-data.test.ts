import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import type { EngineEvent } from "../../src/engine/events.ts";
import { type SshdHarness, startSshdHarness } from "../helpers/sshd-harness.ts";
import { REPO, runCli } from "./run-cli.ts";

/**
 * A value is data, wherever the author placed {{ }}: the drill's payloads (command substitution,
 * backticks, ;, &&, quotes, newlines, $IFS, globs, a here-document's delimiter) in every field that
 * takes a variable, from --var and from the inventory, against real OpenSSH machines. A payload that
 * ran would leave a marker file; none may, and each value must arrive exactly as given.
 */
let harness: SshdHarness;
let dir: string;
let marks: string;
let env: Record<string, string>;

beforeAll(async () => {
  harness = await startSshdHarness({ count: 2, lockWaitMs: 30_000 });
  dir = mkdtempSync(join(tmpdir(), "runbook-values-"));
  // Every machine's user may write here: a payload that runs would leave its marker.
  marks = join(dir, "marks");
  mkdirSync(marks);
  chmodSync(dir, 0o755);
  chmodSync(marks, 0o1777);
  env = { RUNBOOK_STATE_DIR: join(dir, "state") };
}, 60_000);

afterAll(async () => {
  await harness?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The drill's payloads; each names the marker it would create if it ran. */
function payloads(): string[] {
  const m = (n: number) => `${marks}/p${n}`;
  return [
    `$(touch ${m(0)})`,
    `\`touch ${m(1)}\``,
    `; touch ${m(2)}`,
    `&& touch ${m(3)} &&`,
    `' ; touch ${m(4)} ; '`,
    `" ; touch ${m(5)} ; "`,
    `x\ntouch ${m(6)}\ny`,
    `$(touch\${IFS}${m(7)})`,
    "* /* ? [a-z]*",
    `\\$(touch ${m(9)})`,
    "{{ hosts.all }} {{ token }}",
    "$HOME ~ ${PATH} $$",
    "-n",
    `EOF\ntouch ${m(13)}\nEOF`,
    `|| touch ${m(14)} #`,
    `> ${m(15)}`,
  ];
}

/** Each placement, as a line of shell that prints [label:value] for variable `v`. */
const PLACEMENTS: Record<string, (v: string) => string> = {
  bare: (v) => `printf '[bare:%s]\\n' {{ ${v} }}`,
  dq: (v) => `printf '%s\\n' "[dq:{{ ${v} }}]"`,
  heredoc: (v) => `cat <<EOF\n[heredoc:{{ ${v} }}]\nEOF`,
  backticks: (v) => `printf '[bt:%s]\\n' "\`printf '%s' {{ ${v} }}\`"`,
  subst: (v) => `printf '[cs:%s]\\n' "$(printf '%s' {{ ${v} }})"`,
  param: (v) => `printf '[pe:%s]\\n' "\${RB_UNSET_X:-{{ ${v} }}}"`,
  assign: (v) => `x={{ ${v} }}; printf '[as:%s]\\n' "$x"`,
  nested: (v) => `printf '%s\\n' "[nest:$(printf '%s' "{{ ${v} }}")]"`,
};

function runbookFile(values: string[]): string {
  const names = values.map((_, i) => `v${i}`);
  // A log wait matches one line: a value of several lines is waited for by its first line.
  const waitFor = (n: string, i: number) => ((values[i] ?? "").includes("\n") ? "^w:" : `^w:{{ ${n} }}$`);
  const vars = names.map((n) => `  ${n}: { describe: "a payload" }\n`).join("");
  const steps: string[] = [];
  for (const [label, line] of Object.entries(PLACEMENTS)) {
    steps.push(`## ${label} {#${label}}\n\n\`\`\`sh {on=app}\n${names.map(line).join("\n")}\n\`\`\`\n`);
  }
  // Fields other than the command: wait-cmd, expect=, a file block's path and content, a background
  // command's log, a log wait's file and pattern.
  steps.push(
    `## Other fields {#fields}\n\n${names
      .map(
        (n, i) =>
          `\`\`\`sh {on=app wait-cmd="test -n {{ ${n} }} && printf '%s' {{ ${n} }} > ~/wait-${n}" expect="e:{{ ${n} }}"}\nprintf 'e:%s\\n' {{ ${n} }}\n\`\`\`\n\n` +
          `\`\`\`text {on=app file="~/files/${n}/{{ ${n} }}.txt"}\nv={{ ${n} }}\n\`\`\`\n\n` +
          `\`\`\`sh {on=app background log="~/logs/${n}/{{ ${n} }}.log" wait-log="~/logs/${n}/{{ ${n} }}.log" wait-for="${waitFor(n, i)}" timeout=20s}\nprintf 'w:%s\\n' {{ ${n} }}; sleep 0.2\n\`\`\`\n`,
      )
      .join("\n")}`,
  );
  // A rollback runs the same way: the step fails, --rollback-on-failure rolls it back.
  steps.push(
    `## Fails, rolled back {#fails}\n\n\`\`\`sh {on=app}\nexit 3\n\`\`\`\n\n\`\`\`rollback {on=app}\n${names
      .map((n) => `printf '[rb:%s]\\n' {{ ${n} }}`)
      .join("\n")}\n\`\`\`\n`,
  );
  const file = join(dir, "payloads.md");
  writeFileSync(
    file,
    `---\ntitle: Payloads\nroles: [app]\nvars:\n${vars}  token: { secret: true }\n---\n\n# Placements\n\n${steps.join("\n")}`,
  );
  return file;
}

function outputOf(events: EngineEvent[], stepId: string, host: string): string {
  return events
    .filter((e): e is Extract<EngineEvent, { type: "output" }> => e.type === "output")
    .filter((e) => e.stepId === stepId && e.host === host && e.stream === "stdout")
    .map((e) => e.text)
    .join("");
}

function checkRun(events: EngineEvent[], values: string[]): void {
  expect(readdirSync(marks)).toEqual([]);
  for (const m of harness.machines) {
    for (const [label, prefix] of Object.entries({
      bare: "bare",
      dq: "dq",
      heredoc: "heredoc",
      backticks: "bt",
      subst: "cs",
      param: "pe",
      assign: "as",
      nested: "nest",
    })) {
      const out = outputOf(events, label, m.name);
      for (const v of values) expect(out).toContain(`[${prefix}:${v}]\n`);
    }
    values.forEach((v, i) => {
      expect(readFileSync(join(m.home, `wait-v${i}`), "utf8")).toBe(v);
      expect(readFileSync(join(m.home, "files", `v${i}`, `${v}.txt`), "utf8")).toBe(`v=${v}\n`);
      expect(readFileSync(join(m.home, "logs", `v${i}`, `${v}.log`), "utf8")).toBe(`w:${v}\n`);
    });
  }
  const rolledBack = events
    .filter((e) => e.type === "output" && e.stepId === "fails")
    .map((e) => (e as { text: string }).text);
  for (const v of values) expect(rolledBack.join("")).toContain(`[rb:${v}]\n`);
}

function parseJsonLines(text: string): EngineEvent[] {
  return text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as EngineEvent);
}

describe("a value is never run", () => {
  test("the drill's payloads from --var, in every placement and field, on every machine: none runs", () => {
    const values = payloads();
    const file = runbookFile(values);
    const inventory = harness.writeInventory(join(dir, "inv-var.yaml"), {
      machines: Object.fromEntries(harness.machines.map((m) => [m.name, { roles: ["app"] }])),
    });
    const r = runCli(
      [
        "run",
        file,
        "-i",
        inventory,
        "--yes",
        "--json",
        "--rollback-on-failure",
        ...values.flatMap((v, i) => ["--var", `v${i}=${v}`]),
      ],
      { env: { ...env, RUNBOOK_SECRET_TOKEN: "the-token-value" } },
    );
    // The last step fails on purpose (its rollback is the last placement).
    expect(r.code).toBe(1);
    const evs = parseJsonLines(r.stdout);
    checkRun(evs, values);
  }, 120_000);

  test("the same payloads from the inventory's vars", () => {
    for (const m of harness.machines) {
      rmSync(join(m.home, "files"), { recursive: true, force: true });
      rmSync(join(m.home, "logs"), { recursive: true, force: true });
    }
    const values = payloads();
    const file = runbookFile(values);
    const vars = Object.fromEntries(values.map((v, i) => [`v${i}`, v]));
    const inventory = harness.writeInventory(join(dir, "inv-inventory.yaml"), {
      machines: Object.fromEntries(harness.machines.map((m) => [m.name, { roles: ["app"], vars }])),
    });
    const r = runCli(
      ["run", file, "-i", inventory, "--yes", "--json", "--rollback-on-failure", "--break-lock"],
      {
        env: { ...env, RUNBOOK_SECRET_TOKEN: "the-token-value" },
      },
    );
    expect(r.code).toBe(1);
    checkRun(parseJsonLines(r.stdout), values);
  }, 120_000);

  test("a value compared in when= is compared as a value: it never changes which machines run", () => {
    const file = join(dir, "when.md");
    writeFileSync(
      file,
      `---\ntitle: When\nroles: [app]\nvars:\n  target: { describe: "machine tag" }\n  tag: { describe: "this machine's tag" }\n---\n\n# P\n\n## Tagged {#tagged}\n\n\`\`\`sh {on=app when="tag == '{{ target }}'"}\necho ran on {{ host.name }}\n\`\`\`\n`,
    );
    const inventory = harness.writeInventory(join(dir, "inv-when.yaml"), {
      machines: {
        m1: { roles: ["app"], vars: { tag: "alpha" } },
        m2: { roles: ["app"], vars: { tag: "beta" } },
      },
    });
    const normal = runCli(["run", file, "-i", inventory, "--yes", "--break-lock", "--var", "target=alpha"], {
      env,
    });
    expect(normal.code).toBe(0);
    expect(normal.stdout).toContain("m1 | ran on m1");
    expect(normal.stdout).not.toContain("ran on m2");
    const hostile = runCli(["plan", file, "-i", inventory, "--var", "target=alpha' || tag != 'x"], { env });
    expect(hostile.code).toBe(0);
    expect(hostile.stdout).toContain("no machine matches its on= and when=");
    const run = runCli(
      ["run", file, "-i", inventory, "--yes", "--break-lock", "--var", "target=alpha' || tag != 'x"],
      {
        env,
      },
    );
    expect(run.stdout).not.toContain("ran on");
  }, 60_000);

  test("the shipped health check with a hostile broker_name in the inventory runs nothing of it", () => {
    const m = harness.machine("m2");
    const conf = join(m.home, "rocketmq-node", "conf");
    mkdirSync(conf, { recursive: true });
    writeFileSync(join(conf, "broker.properties"), "brokerName=x\n");
    for (const d of [join(m.home, "rocketmq-node"), conf, join(conf, "broker.properties")])
      chownSync(d, m.uid, m.uid);
    const payload = `$(touch ${marks}/health)\`touch ${marks}/health2\``;
    const inventory = join(dir, "inv-health.yaml");
    writeFileSync(
      inventory,
      stringify({
        hosts: {
          ns: {
            address: harness.machine("m1").address,
            port: harness.machine("m1").port,
            user: harness.machine("m1").user,
            identity: harness.clientKey,
            known_hosts: harness.knownHosts,
            roles: ["nameserver"],
          },
          a: {
            address: m.address,
            port: m.port,
            user: m.user,
            identity: harness.clientKey,
            known_hosts: harness.knownHosts,
            roles: ["broker-a"],
            vars: { broker_name: payload },
          },
        },
      }),
    );
    const r = runCli(
      ["run", join(REPO, "runbooks/rocketmq/health-check.md"), "-i", inventory, "--yes", "--break-lock"],
      {
        env,
      },
    );
    // The broker is configured but not running: the check fails, saying so with the name as given.
    expect(r.stdout).toContain(`a ! FAILED: broker ${payload} (brokerId 0)`);
    expect(readdirSync(marks)).toEqual([]);
  }, 120_000);
});

describe("runbook check refuses a value where no expansion can carry it, naming the line", () => {
  test("single quotes, a quoted here-document, arithmetic, and code for another shell", () => {
    const file = join(dir, "misplaced.md");
    writeFileSync(
      file,
      [
        "---",
        "title: Misplaced",
        "roles: [app]",
        "vars:",
        "  v: { default: x }",
        "  code: { default: 'echo hi', raw: true }",
        "---",
        "",
        "# P",
        "",
        "## S {#s}",
        "",
        "```sh {on=app}",
        "echo 'sq: {{ v }}'",
        "cat <<'EOF'",
        "qh: {{ v }}",
        "EOF",
        "echo $(( {{ v }} + 1 ))",
        'bash -c "echo {{ v }}"',
        'echo fine {{ v }} "and {{ v }}"',
        "echo 'raw is spliced on purpose: {{ code }}'",
        "```",
        "",
      ].join("\n"),
    );
    const r = runCli(["check", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "misplaced.md:14:11: {{ v }} cannot be filled in here: it stands inside single quotes",
    );
    expect(r.stderr).toContain(
      "misplaced.md:16:5: {{ v }} cannot be filled in here: it stands in a quoted here-document",
    );
    expect(r.stderr).toContain(
      "misplaced.md:18:10: {{ v }} cannot be filled in here: it stands in arithmetic",
    );
    expect(r.stderr).toContain(
      "misplaced.md:19:15: {{ v }} cannot be filled in here: bash -c parses the word after it as shell code",
    );
    expect(r.stderr).toContain("hint: close the quotes around it");
    expect(r.stderr).not.toContain(":20:");
    expect(r.stderr).not.toContain(":21:");
  });

  // Fifteen runbooks take a few seconds on a busy 2-core machine.
  test("every shipped runbook passes", () => {
    const r = runCli(["check"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  }, 30_000);
});
