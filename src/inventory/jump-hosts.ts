/**
 * Jump hosts (bastions): a machine's `jump:` names another machine of the inventory, or a
 * `user@host:port` outside it, or a list of these (first hop first); without it, the ssh config's
 * ProxyJump counts, as it does for `ssh`. Resolved once every machine is read, so a jump may name a
 * machine further down the file; a bastion's own jump comes first in the chain.
 */
import type SSHConfig from "ssh-config";
import { didYouMean } from "../format/suggest.ts";
import { isSeq, type YamlSource } from "../format/yaml-source.ts";
import { RunbookError } from "../model/errors.ts";
import type { Host, JumpHop } from "../model/inventory.ts";
import type { SourcePos } from "../model/runbook.ts";
import { expandHome } from "../util/expand-home.ts";

/** What a machine's jump: (or ProxyJump) says, before its names are resolved. */
export interface JumpSpec {
  hops: { text: string; pos: SourcePos }[];
  /** jump: of the inventory, or ProxyJump of the ssh config (whose plain names are host names). */
  from: "jump" | "ProxyJump";
}

const HINT =
  "write the name of another machine of the inventory, or user@host:port for a bastion outside it, or a list of these, first hop first";

type Node = Parameters<YamlSource["entries"]>[0];

/** The jump: of machine `name`: one text or a list of texts, never empty. */
export function readJump(y: YamlSource, name: string, node: Node): JumpSpec {
  const items = isSeq(node) ? (node.items as Node[]) : [node];
  if (items.length === 0)
    throw new RunbookError("inventory", `jump of ${name} is empty`, y.nodePos(node), HINT);
  const hops = items.map((item) => {
    const text = y.text(item ?? null, `jump of ${name}`, HINT).trim();
    if (text === "") throw new RunbookError("inventory", `jump of ${name} is empty`, y.nodePos(item), HINT);
    return { text, pos: y.nodePos(item) };
  });
  return { hops, from: "jump" };
}

/** ProxyJump as the ssh config computes it for a machine (`none` turns it off, as for ssh). */
export function proxyJumpSpec(value: string | undefined, pos: SourcePos): JumpSpec | undefined {
  if (!value || value.trim().toLowerCase() === "none") return undefined;
  const hops = value
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "")
    .map((text) => ({ text, pos }));
  return hops.length > 0 ? { hops, from: "ProxyJump" } : undefined;
}

/** Sets `jump` on every machine that has one: the whole chain, first hop first. Throws on a bad one. */
export function resolveJumps(hosts: Host[], specs: Map<string, JumpSpec>, sshConfig: SSHConfig): void {
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const done = new Map<string, JumpHop[]>();
  const chainOf = (machine: Host, path: string[]): JumpHop[] => {
    const cached = done.get(machine.name);
    if (cached) return cached;
    const spec = specs.get(machine.name);
    if (!spec) return [];
    if (machine.transport !== "ssh") {
      throw new RunbookError(
        "inventory",
        `machine ${machine.name} is local (transport: local) and has a jump`,
        spec.hops[0]?.pos,
        "remove jump: (a local machine is not reached over ssh), or make it an ssh machine",
      );
    }
    const chain: JumpHop[] = [];
    for (const hop of spec.hops) {
      const bastion = byName.get(hop.text);
      if (!bastion) {
        chain.push(outsideHop(hop, spec, machine, sshConfig, [...byName.keys()]));
        continue;
      }
      checkBastion(machine, bastion, [...path, machine.name], hop.pos, spec.from);
      chain.push(...chainOf(bastion, [...path, machine.name]), hopOf(bastion));
    }
    done.set(machine.name, chain);
    return chain;
  };
  for (const h of hosts) {
    const chain = chainOf(h, []);
    if (chain.length > 0) h.jump = chain;
  }
}

/** A machine of the inventory as a bastion: never itself, never in a circle, always over ssh. */
function checkBastion(
  machine: Host,
  bastion: Host,
  path: string[],
  pos: SourcePos,
  from: JumpSpec["from"],
): void {
  const what = whatOf(machine, from);
  if (bastion.name === machine.name) {
    throw new RunbookError(
      "inventory",
      `${what} names ${machine.name} itself`,
      pos,
      from === "jump"
        ? "name the bastion that reaches it, or remove jump: if it is reached directly"
        : `exclude it where ~/.ssh/config sets ProxyJump (Host * !${machine.address}), or give it jump: in the inventory`,
    );
  }
  const start = path.indexOf(bastion.name);
  if (start >= 0) {
    const circle = [...path.slice(start), bastion.name].join(" → ");
    throw new RunbookError(
      "inventory",
      `${what} names ${bastion.name}, which is reached through ${machine.name}: the jumps go round in a circle (${circle})`,
      pos,
      "remove one of these jump: entries: a bastion is reached directly or through other bastions, never through a machine behind it",
    );
  }
  if (bastion.transport !== "ssh") {
    throw new RunbookError(
      "inventory",
      `${what} names ${bastion.name}, which is a local machine (transport: local)`,
      pos,
      "a bastion is logged into over ssh: name an ssh machine, or remove jump:",
    );
  }
}

/** How an error names where the jump was written. */
function whatOf(machine: Host, from: JumpSpec["from"]): string {
  return from === "jump" ? `jump of ${machine.name}` : `ProxyJump (~/.ssh/config) of ${machine.name}`;
}

function hopOf(h: Host): JumpHop {
  return {
    name: h.name,
    address: h.address,
    port: h.port,
    user: h.user,
    identity: h.identity,
    agent: h.agent,
    knownHosts: h.knownHosts,
    pos: h.pos,
    ...(h.keyPos ? { keyPos: h.keyPos } : {}),
  };
}

const HOP = /^(?:([^@\s]+)@)?(\[[^\]\s]+\]|[^:@\s[\]]+)(?::(\d+))?$/;

/**
 * `user@host:port` (user and port optional): a bastion outside the inventory. The ssh config fills
 * what it leaves out, as for ssh; the key, agent and known_hosts are those of the machine behind it.
 * A plain name of inventory jump: must be a machine (or an ssh config alias): a typo is not a host.
 */
function outsideHop(
  hop: JumpSpec["hops"][number],
  spec: JumpSpec,
  machine: Host,
  sshConfig: SSHConfig,
  machines: string[],
): JumpHop {
  const m = HOP.exec(hop.text);
  const host = m?.[2]?.replace(/^\[(.*)\]$/, "$1");
  const port = m?.[3] === undefined ? undefined : Number(m[3]);
  if (!m || !host || (port !== undefined && (port < 1 || port > 65535))) {
    throw new RunbookError(
      "inventory",
      `${whatOf(machine, spec.from)} is "${hop.text}", which is neither a machine of the inventory nor user@host:port`,
      hop.pos,
      HINT,
    );
  }
  const computed = sshConfig.compute(host);
  const fromSsh = (k: string): string | undefined => {
    const v = computed[k];
    return Array.isArray(v) ? v[0] : v;
  };
  const plain = m[1] === undefined && port === undefined && !host.includes(".") && !host.includes(":");
  if (spec.from === "jump" && plain && fromSsh("HostName") === undefined) {
    throw new RunbookError(
      "inventory",
      `jump of ${machine.name} names "${hop.text}", which is not a machine of the inventory`,
      hop.pos,
      didYouMean(hop.text, machines) ??
        "add that machine to hosts:, or write user@host:port for a bastion outside the inventory",
    );
  }
  const identity = fromSsh("IdentityFile");
  return {
    name: hop.text,
    address: fromSsh("HostName") ?? host,
    port: port ?? Number(fromSsh("Port") ?? 22),
    user: m[1] ?? fromSsh("User"),
    identity: identity ? expandHome(identity) : machine.identity,
    agent: machine.agent,
    knownHosts: machine.knownHosts,
    pos: hop.pos,
  };
}
