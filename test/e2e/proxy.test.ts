import { beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SshdHarness, SshdMachine } from "../helpers/sshd-harness.ts";
import {
  e2eMachines,
  type Jvm,
  jvmsOf,
  MAVEN_REPO,
  mqadmin,
  runbook,
  tail,
  writeInventory,
} from "./cluster.ts";

/**
 * The 5.x Proxy add-on run for real: single-master.md deploys a NameServer and a master on machines
 * ns1 and a, then proxy.md starts a Proxy in Cluster mode on machine p and sends a message through its
 * gRPC port with rocketmq-client-java; the message is found on the broker with the test's own mqadmin.
 * Then a second Proxy on p (another configuration directory and ports) whose run fails after it
 * started (a client version that does not exist) is rolled back (--rollback-on-failure): that Proxy
 * stops, and only it.
 *
 * RocketMQ 5.3.3's Proxy (and the broker's HA port) listen on every interface, with no setting for it;
 * here every JVM of the test machines gets test/e2e/java/BindAgent, which turns a wildcard bind into
 * one on the machine's own loopback address: the Proxy through the runbook's proxy_java_opts, the
 * NameServer's and broker's machines through JDK_JAVA_OPTIONS in their users' ~/.bashrc (which bash
 * reads for a command run over ssh). The test checks nothing of theirs listens anywhere else.
 */
const MINUTE = 60_000;
const BROKER_PORT = 21211;
const GRPC = 28081;
const REMOTING = 28080;
const GRPC2 = 28083;
const REMOTING2 = 28082;
const TOPIC = "RunbookProxyCheck";
const CLIENT = "org.apache.rocketmq:rocketmq-client-java:5.0.8";

const machines = e2eMachines("proxy", { names: ["ns1", "a", "p"], userPrefix: "rbprx", firstAddress: 236 });
let harness: SshdHarness;
let dir: string;
let logDir: string;
let env: Record<string, string>;
beforeAll(() => {
  ({ harness, dir, logDir, env } = machines);
});

/**
 * The 5.x client in the shared Maven repository, as prefetch() puts RocketMQ there: the machines'
 * users read it (offline) and cannot write it. Downloaded once; offline after that.
 */
function prefetchClient(): void {
  const jar = join(
    MAVEN_REPO,
    "org/apache/rocketmq/rocketmq-client-java/5.0.8/rocketmq-client-java-5.0.8.jar",
  );
  if (existsSync(jar)) return;
  const get = spawnSync(
    "mvn",
    [
      "-B",
      "-ntp",
      "-q",
      `-Dmaven.repo.local=${MAVEN_REPO}`,
      "org.apache.maven.plugins:maven-dependency-plugin:3.6.1:get",
      `-Dartifact=${CLIENT}`,
    ],
    { encoding: "utf8", timeout: 10 * MINUTE },
  );
  if (get.status !== 0) throw new Error(`mvn dependency:get ${CLIENT} failed:\n${get.stdout}${get.stderr}`);
  spawnSync("chmod", ["-R", "a+rX", MAVEN_REPO]);
}

/** The bind agent, built once, copied into a machine's home (readable by its user): its path there. */
function installAgent(m: SshdMachine): string {
  const jar = join(dir, "bind-agent", "bind-agent.jar");
  if (!existsSync(jar)) {
    const classes = join(dir, "bind-agent", "classes");
    mkdirSync(classes, { recursive: true });
    const src = join(import.meta.dir, "java");
    const javac = spawnSync(
      "javac",
      [
        "-nowarn",
        "--add-exports",
        "java.base/jdk.internal.org.objectweb.asm=ALL-UNNAMED",
        "-d",
        classes,
        join(src, "BindAgent.java"),
        join(src, "BindRewrite.java"),
      ],
      { encoding: "utf8" },
    );
    if (javac.status !== 0) throw new Error(`javac BindAgent.java failed:\n${javac.stderr}`);
    const manifest = join(dir, "bind-agent", "MANIFEST.MF");
    writeFileSync(manifest, "Premain-Class: BindAgent\nCan-Retransform-Classes: true\n");
    const jarRun = spawnSync("jar", ["cfm", jar, manifest, "-C", classes, "."], { encoding: "utf8" });
    if (jarRun.status !== 0) throw new Error(`jar failed:\n${jarRun.stderr}`);
  }
  const target = join(m.home, "bind-agent.jar");
  writeFileSync(target, readFileSync(jar));
  spawnSync("chown", [`${m.uid}:`, target]);
  return target;
}

/** Every wildcard bind of the machine user's JVMs goes to its own address (see the file's comment). */
function bindLoopbackForAllJvms(m: SshdMachine): void {
  const agent = installAgent(m);
  const rc = join(m.home, ".bashrc");
  const old = existsSync(rc) ? readFileSync(rc, "utf8") : "";
  // Before the skeleton's "not interactive: return".
  writeFileSync(rc, `export JDK_JAVA_OPTIONS="-javaagent:${agent}=${m.address}"\n${old}`);
  spawnSync("chown", [`${m.uid}:`, rc]);
}

/** The Proxy JVMs of a user: PID and the -pc path. */
function proxiesOf(user: string): { pid: number; config?: string }[] {
  return jvmsOf([user])
    .map((j: Jvm) => {
      const args = readFileSync(`/proc/${j.pid}/cmdline`, "utf8").split("\0");
      if (!args.some((a) => a.endsWith("ProxyStartup"))) return undefined;
      const at = args.indexOf("-pc");
      return { pid: j.pid, config: at >= 0 ? args[at + 1] : undefined };
    })
    .filter((x) => x !== undefined);
}

/** `ss -ltnpH` lines of the listening sockets of these PIDs: [pid, local address]. */
function listeners(pids: number[]): [number, string][] {
  const ss = spawnSync("ss", ["-ltnpH"], { encoding: "utf8" });
  const out: [number, string][] = [];
  for (const line of ss.stdout.split("\n")) {
    const f = line.trim().split(/\s+/);
    for (const m of line.matchAll(/pid=(\d+),/g)) {
      const pid = Number(m[1]);
      if (pids.includes(pid) && f[3]) out.push([pid, f[3]]);
    }
  }
  return out;
}

describe("the 5.x Proxy in Cluster mode", () => {
  test(
    "a run sends a message through the Proxy's gRPC port and receives it back (the broker has it, nothing listens beyond loopback); a second Proxy's failed run rolls back exactly that Proxy",
    async () => {
      try {
        const m = (n: string) => harness.machine(n);
        const p = m("p");
        const users = harness.machines.map((x) => x.user);
        const inv = writeInventory(join(dir, "machines.yaml"), harness, [
          { name: "ns1", machine: m("ns1"), roles: ["nameserver"] },
          { name: "a", machine: m("a"), roles: ["broker-a"], vars: { broker_port: BROKER_PORT } },
          {
            name: "p",
            machine: p,
            roles: ["proxy"],
            vars: { proxy_grpc_port: GRPC, proxy_remoting_port: REMOTING, proxy_heap: "256m" },
          },
        ]);
        for (const n of ["ns1", "a"]) bindLoopbackForAllJvms(m(n));
        prefetchClient();
        const proxyVars = ["--var", `proxy_java_opts=-javaagent:${installAgent(p)}=${p.address}`];

        const deploy = await runbook(["run", "runbooks/rocketmq/single-master.md", "-i", inv, "--yes"], {
          env,
          logDir,
          name: "deploy",
        });
        expect(deploy.code, tail(deploy)).toBe(0);
        const cluster = jvmsOf(users).map((j) => j.pid);
        expect(cluster).toHaveLength(2);
        // Machine p plays no role of the deployment: nothing was installed there.
        expect(existsSync(join(p.home, "rocketmq-node"))).toBe(false);

        const base = join(p.home, "rocketmq-node");

        // (1) The run that succeeds.
        const run = await runbook(["run", "runbooks/rocketmq/proxy.md", "-i", inv, "--yes", ...proxyVars], {
          env,
          logDir,
          name: "proxy",
        });
        let why = tail(run, 100);
        expect(run.code, why).toBe(0);
        const received = new RegExp(
          `received through ${p.address.replaceAll(".", "\\.")}:${GRPC}: messageId (\\S+) body (runbook-proxy-check-\\S+)`,
        ).exec(run.out);
        expect(received, why).not.toBeNull();
        const [, msgId, body] = received as RegExpExecArray;
        expect(run.out, why).toContain(`sent through ${p.address}:${GRPC}: messageId ${msgId} body ${body}`);

        // The Proxy runs as p's user, started with its configuration, and listens only on p's address.
        const proxies = proxiesOf(p.user);
        expect(proxies).toEqual([{ pid: expect.any(Number), config: join(base, "conf", "rmq-proxy.json") }]);
        const pid = proxies[0]?.pid as number;
        const conf = JSON.parse(readFileSync(join(base, "conf", "rmq-proxy.json"), "utf8"));
        expect(conf).toMatchObject({
          rocketMQClusterName: "DefaultCluster",
          namesrvAddr: `${m("ns1").address}:9876`,
          grpcServerPort: GRPC,
          remotingListenPort: REMOTING,
        });
        const proxyPorts = listeners([pid])
          .map(([, a]) => a)
          .sort();
        expect(proxyPorts).toEqual(
          [`[::ffff:${p.address}]:${REMOTING}`, `[::ffff:${p.address}]:${GRPC}`].sort(),
        );
        expect(readFileSync(join(base, "logs", "rocketmqlogs", "proxy.log"), "utf8")).toContain(
          "rocketmq-proxy startup successfully",
        );
        // Nothing of the test machines listens beyond loopback (the agent's work, the HA port included).
        const all = listeners(jvmsOf(users).map((j) => j.pid));
        expect(all.length).toBeGreaterThanOrEqual(6);
        expect(all.filter(([, a]) => !/^(\[::ffff:)?127\./.test(a))).toEqual([]);

        // Independently: the broker stored the message the client sent through the Proxy.
        const found = await mqadmin(
          ["queryMsgByUniqueKey", "-n", `${m("ns1").address}:9876`, "-t", TOPIC, "-i", msgId as string],
          logDir,
        );
        expect(found).toMatch(new RegExp(`Keys:\\s+\\[${body}\\]`));
        expect(found).toMatch(
          new RegExp(`Store Host:\\s+${m("a").address.replaceAll(".", "\\.")}:${BROKER_PORT}`),
        );
        const bodyFile = /Message Body Path:\s+(\S+)/.exec(found)?.[1];
        if (bodyFile) rmSync(bodyFile, { force: true });

        // The health check sees the Proxy among the cluster's machines: running, both ports open.
        const health = await runbook(["run", "runbooks/rocketmq/health-check.md", "-i", inv, "--yes"], {
          env,
          logDir,
          name: "health",
        });
        expect(health.code, tail(health)).toBe(0);
        expect(health.out).toContain(
          `p | OK: the Proxy (pid ${pid}) runs with ${join(base, "conf", "rmq-proxy.json")} and accepts connections on ${p.address}: gRPC ${GRPC}, remoting ${REMOTING}`,
        );

        // (2) A second Proxy on p (its own configuration directory and ports), from its configuration
        // on, with a client version that does not exist: the run fails after that Proxy started, and
        // rolls back. Exactly that Proxy stops: the first one, of the same user and main class, and the
        // cluster keep running.
        const confDir2 = join(base, "conf-rollback");
        const failed = await runbook(
          [
            "run",
            "runbooks/rocketmq/proxy.md",
            "-i",
            inv,
            "--yes",
            "--rollback-on-failure",
            "--from",
            "write-proxy-config",
            ...proxyVars,
            "--var",
            `conf_dir=${confDir2}`,
            "--var",
            `proxy_grpc_port=${GRPC2}`,
            "--var",
            `proxy_remoting_port=${REMOTING2}`,
            "--var",
            "rocketmq_client_java_version=0.0.1",
          ],
          { env, logDir, name: "proxy-rollback" },
        );
        why = tail(failed, 100);
        expect(failed.code, why).toBe(1);
        const second = /OK: the Proxy \(pid (\d+)\) listens on gRPC and remoting/.exec(failed.out)?.[1];
        expect(second, why).toBeDefined();
        expect(Number(second)).not.toBe(pid);
        expect(failed.out, why).toContain(
          "FAILED: Maven could not fetch org.apache.rocketmq:rocketmq-client-java:0.0.1",
        );
        expect(failed.out, why).toContain(
          `stopping the Proxy started with ${join(confDir2, "rmq-proxy.json")} (pid ${second})`,
        );
        expect(proxiesOf(p.user), why).toEqual([{ pid, config: join(base, "conf", "rmq-proxy.json") }]);
        expect(
          jvmsOf(users)
            .map((j) => j.pid)
            .sort(),
        ).toEqual([...cluster, pid].sort());
        // What it wrote is gone (the client directory too: the runs share base_dir); the first
        // Proxy's configuration and the installation, from steps before --from, stay.
        expect(existsSync(confDir2)).toBe(false);
        expect(existsSync(join(base, "proxy-client"))).toBe(false);
        expect(existsSync(join(base, "conf", "rmq-proxy.json"))).toBe(true);
        expect(existsSync(join(base, "rocketmq", "bin", "mqproxy"))).toBe(true);
      } catch (e) {
        machines.failed();
        throw e;
      }
    },
    14 * MINUTE,
  );
});
