import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import SSHConfig from "ssh-config";
import { NAME, ROLE_NAME } from "../format/front-matter.ts";
import { didYouMean } from "../format/suggest.ts";
import { isMap, YamlSource } from "../format/yaml-source.ts";
import { RunbookError } from "../model/errors.ts";
import { type Host, type Inventory, type TransportKind, USER_NAME } from "../model/inventory.ts";
import type { Scalar } from "../model/runbook.ts";
import { currentUser } from "../util/current-user.ts";
import { expandHome } from "../util/expand-home.ts";
import { type JumpSpec, proxyJumpSpec, readJump, resolveJumps } from "./jump-hosts.ts";

const TOP_KEYS = ["vars", "hosts", "groups"] as const;
const HOST_KEYS = [
  "transport",
  "address",
  "port",
  "user",
  "identity",
  "agent",
  "known_hosts",
  "jump",
  "roles",
  "become",
  "vars",
] as const;
const TRANSPORTS: TransportKind[] = ["local", "ssh"];

export interface InventoryOptions {
  /** Text of the ssh client config; defaults to ~/.ssh/config when it exists. */
  sshConfig?: string;
}

export function loadInventory(file: string, opts: InventoryOptions = {}): Inventory {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new RunbookError(
      "io",
      `cannot read the inventory ${file}`,
      undefined,
      "pass an existing file with -i",
    );
  }
  return parseInventory(path, text, opts.sshConfig ?? readSshConfig());
}

function readSshConfig(): string {
  try {
    return readFileSync(join(homedir(), ".ssh", "config"), "utf8");
  } catch {
    return "";
  }
}

/** Machines from YAML; ssh machines fill what they leave out from the ssh client config, as `ssh` would. */
export function parseInventory(file: string, text: string, sshConfigText = ""): Inventory {
  const y = new YamlSource(file, text);
  if (!isMap(y.root)) {
    throw new RunbookError(
      "inventory",
      "an inventory is a mapping with hosts:",
      y.nodePos(y.root),
      "see runbooks/inventories/local.yaml",
    );
  }
  const sshConfig = SSHConfig.parse(sshConfigText);
  const inv: Inventory = {
    file,
    sha256: createHash("sha256").update(text).digest("hex"),
    vars: {},
    hosts: [],
    groups: {},
  };
  let groupsNode: Parameters<YamlSource["entries"]>[0] = null;
  const jumps = new Map<string, JumpSpec>();
  for (const [key, value] of y.entries(y.root, "the inventory", TOP_KEYS)) {
    if (key === "vars") inv.vars = readVars(y, value, "vars");
    else if (key === "groups") groupsNode = value;
    else {
      for (const [name, node, pos] of y.entries(value, "hosts")) {
        if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
          throw new RunbookError(
            "inventory",
            `machine name "${name}" is not allowed`,
            pos,
            "use letters, digits, ., - and _",
          );
        }
        const { host, jump } = readHost(y, name, node, pos, sshConfig);
        inv.hosts.push(host);
        if (jump) jumps.set(name, jump);
      }
    }
  }
  if (inv.hosts.length === 0) {
    throw new RunbookError(
      "inventory",
      "the inventory has no hosts",
      { file, line: 1, col: 1 },
      "add hosts: with at least one machine",
    );
  }
  resolveJumps(inv.hosts, jumps, sshConfig);
  const names = inv.hosts.map((h) => h.name);
  for (const [name, members, pos] of y.entries(groupsNode, "groups")) {
    const list = y.stringList(members, `group ${name}`);
    for (const m of list) {
      if (!names.includes(m)) {
        throw new RunbookError(
          "inventory",
          `group ${name} names machine "${m}", which is not in hosts`,
          pos,
          didYouMean(m, names),
        );
      }
    }
    inv.groups[name] = list;
  }
  return inv;
}

function readHost(
  y: YamlSource,
  name: string,
  node: Parameters<YamlSource["entries"]>[0],
  pos: Host["pos"],
  sshConfig: SSHConfig,
): { host: Host; jump?: JumpSpec } {
  const entries = y.entries(node, `machine ${name}`, HOST_KEYS);
  const fields = new Map(entries.map(([k, v]) => [k, v]));
  const keyPos = keyPositions(entries);
  const str = (k: string) => (fields.has(k) ? y.string(fields.get(k) ?? null, `${k} of ${name}`) : undefined);
  /** A text value that names something (an address, a user, a file): never empty, never a number. */
  const name_ = (k: string, hint: string) => {
    if (!fields.has(k)) return undefined;
    const v = fields.get(k) ?? null;
    const text = y.text(v, `${k} of ${name}`, hint);
    if (text.trim() === "")
      throw new RunbookError("inventory", `${k} of ${name} is empty`, y.nodePos(v), hint);
    return text;
  };
  const transport = (str("transport") ?? "ssh") as TransportKind;
  if (!TRANSPORTS.includes(transport)) {
    throw new RunbookError(
      "inventory",
      `transport of ${name} must be local or ssh`,
      y.nodePos(fields.get("transport")),
      didYouMean(transport, TRANSPORTS),
    );
  }
  const roles = fields.has("roles") ? y.stringList(fields.get("roles") ?? null, `roles of ${name}`) : [];
  for (const r of roles) {
    if (!ROLE_NAME.test(r))
      throw new RunbookError("inventory", `role name "${r}" of ${name} is not allowed`, pos);
  }
  const computed = transport === "ssh" ? sshConfig.compute(str("address") ?? name) : {};
  const fromSsh = (k: string): string | undefined => {
    const v = computed[k];
    return Array.isArray(v) ? v[0] : v;
  };
  const portText = str("port") ?? fromSsh("Port") ?? "22";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RunbookError(
      "inventory",
      `port of ${name} must be a number from 1 to 65535`,
      y.nodePos(fields.get("port")),
    );
  }
  const addressText = name_(
    "address",
    "write the machine's host name or IP address, or leave address out to use its name",
  );
  const address =
    transport === "local" ? (addressText ?? "127.0.0.1") : (fromSsh("HostName") ?? addressText ?? name);
  const identity =
    name_("identity", "write the path of a private key file, or leave identity out") ??
    fromSsh("IdentityFile");
  const knownHosts = name_(
    "known_hosts",
    'write the path of a known_hosts file, quoted if it looks like a number ("5")',
  );
  // The inventory's jump: wins; without it, the ssh config's ProxyJump, as ssh reads it.
  const jump = fields.has("jump")
    ? readJump(y, name, fields.get("jump") ?? null)
    : proxyJumpSpec(transport === "ssh" ? fromSsh("ProxyJump") : undefined, pos);
  const host: Host = {
    name,
    transport,
    address,
    port,
    user:
      name_("user", "write the login user, or leave user out to use the ssh config's or your own") ??
      fromSsh("User") ??
      (transport === "local" ? currentUser() : undefined),
    identity: identity ? expandHome(identity) : undefined,
    agent: fields.has("agent") ? y.bool(fields.get("agent") ?? null, `agent of ${name}`) : false,
    knownHosts: knownHosts ? expandHome(knownHosts) : undefined,
    roles,
    ...becomeOf(y, name, fields.get("become")),
    vars: fields.has("vars") ? readVars(y, fields.get("vars") ?? null, `vars of ${name}`) : {},
    pos,
    ...(Object.keys(keyPos).length > 0 ? { keyPos } : {}),
  };
  return jump ? { host, jump } : { host };
}

/** Where the keys stand that errors found later (at login) point at. */
function keyPositions(entries: [string, unknown, Host["pos"]][]): NonNullable<Host["keyPos"]> {
  const keyPos: NonNullable<Host["keyPos"]> = {};
  for (const [k, , p] of entries) {
    if (k === "identity" || k === "known_hosts" || k === "address" || k === "user") keyPos[k] = p;
  }
  return keyPos;
}

/** `become:` of a machine: a user name, checked here so a typo is an error with its line. */
function becomeOf(
  y: YamlSource,
  name: string,
  node: Parameters<YamlSource["entries"]>[0] | undefined,
): { become?: string } {
  if (node === undefined) return {};
  const user = y.text(node, `become of ${name}`, "write the user its commands run as, such as rocketmq");
  if (!USER_NAME.test(user)) {
    throw new RunbookError(
      "inventory",
      `become of ${name} is "${user}", which is not a user name`,
      y.nodePos(node),
      "write the name of a user of that machine, such as rocketmq",
    );
  }
  return { become: user };
}

function readVars(
  y: YamlSource,
  node: Parameters<YamlSource["entries"]>[0],
  what: string,
): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  for (const [k, v, pos] of y.entries(node, what)) {
    if (!NAME.test(k))
      throw new RunbookError(
        "inventory",
        `variable name "${k}" is not allowed`,
        pos,
        "use lower case letters, digits and _",
      );
    out[k] = y.scalar(v, `${what}.${k}`);
  }
  return out;
}
