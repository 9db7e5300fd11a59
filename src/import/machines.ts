// Machines a document names, as roles. `在机器A` / `machine A` / `host B` name a machine by its label
// (role `machine-a` unless mapped); a NameServer (the words, or a command that starts one) is role
// `nameserver`. `--role LABEL=ROLE` maps either the label (`A`, `NameServer`) or the role the importer
// would make (`machine-a`) to a role of the user's inventory.

const LABELLED = [
  /机器\s*([A-Za-z0-9]{1,8})/,
  /\b(?:machine|host|server|node)\s+([A-Z][A-Za-z0-9]{0,7}|[0-9]{1,3})\b/,
];
const NAMESERVER = /name\s?server|namesrv/i;
/** In running text a NameServer is named as a place only with a preposition: `on the NameServer`. */
const ON_NAMESERVER = /\bon (?:the |each |every )?name\s?servers?\b|在\s*name\s?server/i;

export interface MachineName {
  /** As the document writes it: `A`, `NameServer`. */
  label: string;
  role: string;
  /** `--role` gave the role (else the importer made it). */
  mapped?: boolean;
}

export type RoleMap = Map<string, string>;

/** `A=broker-a` options into a map (keys lower-cased). Throws on a malformed one. */
export function parseRoleOptions(options: string[]): RoleMap {
  const map: RoleMap = new Map();
  for (const o of options) {
    const m = /^([^=]+)=([a-z0-9][a-z0-9_-]*)$/.exec(o.trim());
    if (!m?.[1] || !m[2]) throw new Error(`--role ${o}: expected LABEL=role, e.g. A=broker-a`);
    map.set(m[1].trim().toLowerCase(), m[2]);
  }
  return map;
}

function machine(label: string, generated: string, map: RoleMap): MachineName {
  const role = map.get(label.toLowerCase()) ?? map.get(generated);
  return role ? { label, role, mapped: true } : { label, role: generated };
}

/** The machine a text names (a comment, a heading, a sentence), if any; a labelled machine wins. */
export function machineNamed(text: string, map: RoleMap): MachineName | undefined {
  for (const re of LABELLED) {
    const m = re.exec(text);
    if (m?.[1]) {
      return machine(m[1], `machine-${m[1].toLowerCase()}`, map);
    }
  }
  if (NAMESERVER.test(text)) return machine("NameServer", "nameserver", map);
  return undefined;
}

/** The machine a sentence names: a labelled one, or `on the NameServer` (not every mention of it). */
export function machineNamedInProse(text: string, map: RoleMap): MachineName | undefined {
  const named = machineNamed(text, map);
  if (named && named.label !== "NameServer") return named;
  return ON_NAMESERVER.test(text) ? named : undefined;
}

/** The machine a command itself says it runs on: the one that starts the NameServer. */
export function machineOfCommand(command: string, map: RoleMap): MachineName | undefined {
  if (/\bmqnamesrv\b/.test(command)) return machine("NameServer", "nameserver", map);
  return undefined;
}
