import type { Finding, ImportedAction, ImportedVar } from "./model.ts";

const ADDRESS = /(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?(?![\w.])/g;

/** Well-known ports: the variable is named for what listens there. */
const PORT_NAMES: Record<string, string> = { "9876": "namesrv_addr", "10911": "broker_addr" };

/**
 * A literal address used by more than one command becomes a variable with that value as its default,
 * so the operator changes it once (`--var namesrv_addr=…`). Only occurrences outside single quotes are
 * replaced: bash expands nothing there, so a value could not be carried.
 */
export function addressVariables(actions: ImportedAction[], findings: Finding[]): ImportedVar[] {
  const uses = new Map<string, ImportedAction[]>();
  for (const a of actions) {
    for (const m of a.command.matchAll(ADDRESS)) {
      if (insideSingleQuotes(a.command, m.index ?? 0)) continue;
      const list = uses.get(m[0]) ?? [];
      list.push(a);
      uses.set(m[0], list);
    }
  }
  const vars: ImportedVar[] = [];
  const taken = new Set<string>();
  for (const [address, all] of uses) {
    // Repeated across commands: one command that says it twice is still said once.
    const users = [...new Set(all)];
    if (users.length < 2) continue;
    const name = nameFor(address, taken);
    taken.add(name);
    const first = users[0] as ImportedAction;
    vars.push({
      name,
      default: address,
      describe: `the address the document gives (line ${first.line}, ${users.length} commands use it)`,
    });
    for (const a of users) {
      a.literal ??= a.command;
      a.command = replaceOutsideQuotes(a.command, address, `{{ ${name} }}`);
    }
    findings.push({
      line: first.line,
      kind: "inferred",
      text: `${address} (in ${users.length} commands) became variable ${name}, default "${address}"`,
    });
  }
  return vars;
}

function nameFor(address: string, taken: Set<string>): string {
  const port = address.split(":")[1];
  const base = (port && PORT_NAMES[port]) || (port ? "service_addr" : "host_addr");
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
  return name;
}

function insideSingleQuotes(text: string, at: number): boolean {
  let quote: string | undefined;
  for (let i = 0; i < at; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (quote === '"' && c === "\\") i++;
    } else if (c === "\\") i++;
    else if (c === "'" || c === '"') quote = c;
  }
  return quote === "'";
}

function replaceOutsideQuotes(text: string, address: string, by: string): string {
  return text.replace(ADDRESS, (whole, _ip, _port, offset: number) =>
    whole === address && !insideSingleQuotes(text, offset) ? by : whole,
  );
}

/**
 * A directory the document `cd`s into that more than one command runs in becomes a variable
 * (`workdir`), so a path with a version in it (`rocketmq-4.5.x`) is changed once, with `--var`.
 */
export function directoryVariables(
  actions: ImportedAction[],
  findings: Finding[],
  taken: Set<string>,
): ImportedVar[] {
  const uses = new Map<string, ImportedAction[]>();
  for (const a of actions) {
    if (!a.cwd || !a.command.startsWith(`cd ${a.cwd.dir} && `)) continue;
    uses.set(a.cwd.dir, [...(uses.get(a.cwd.dir) ?? []), a]);
  }
  const vars: ImportedVar[] = [];
  for (const [dir, users] of uses) {
    if (users.length < 2) continue;
    let name = "workdir";
    for (let n = 2; taken.has(name); n++) name = `workdir_${n}`;
    taken.add(name);
    const line = (users[0] as ImportedAction).cwd?.line ?? 0;
    vars.push({
      name,
      default: dir,
      describe: `the directory the document changes into (line ${line}); ${users.length} commands run there`,
    });
    for (const a of users) {
      a.literal ??= a.command;
      a.command = `cd {{ ${name} }} && ${a.command.slice(`cd ${dir} && `.length)}`;
    }
    findings.push({
      line,
      kind: "inferred",
      text: `${dir} (where ${users.length} commands run) became variable ${name}`,
    });
  }
  return vars;
}
