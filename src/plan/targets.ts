import { didYouMean } from "../format/suggest.ts";
import { RunbookError } from "../model/errors.ts";
import type { Host, Inventory } from "../model/inventory.ts";
import type { Runbook, SourcePos } from "../model/runbook.ts";

/** Turns `on=` selectors into machines of the inventory. */
export class Targets {
  private readonly roles: Set<string>;
  private readonly groups: Map<string, string[]>;
  private readonly limit?: Set<string>;
  private readonly expanded = new Map<string, Set<string>>();

  constructor(
    private readonly runbook: Runbook,
    private readonly inventory: Inventory,
    limit?: string[],
  ) {
    this.roles = new Set(runbook.roles.map((r) => r.name));
    this.groups = new Map(runbook.groups.map((g) => [g.name, g.members]));
    if (limit) this.limit = new Set(limit.flatMap((l) => this.limitNames(l)));
  }

  /** Whether --limit (if any) lets the runner act on this machine. */
  allows(host: string): boolean {
    return !this.limit || this.limit.has(host);
  }

  /** Machines that play at least one of this runbook's roles, in inventory order. */
  participants(): Host[] {
    return this.inventory.hosts.filter((h) => h.roles.some((r) => this.roles.has(r)));
  }

  /** Every declared role must have a machine, or the plan would silently skip its steps. */
  checkRolesCovered(): void {
    for (const role of this.runbook.roles) {
      if (role.optional) continue;
      if (!this.inventory.hosts.some((h) => h.roles.includes(role.name))) {
        throw new RunbookError(
          "unknown-role",
          `no machine in ${this.inventory.file} has role ${role.name}, which this runbook needs`,
          role.pos,
          `add "${role.name}" to the roles: of a machine in the inventory`,
        );
      }
    }
  }

  resolve(on: string[], pos: SourcePos, opts: { ignoreLimit?: boolean } = {}): Host[] {
    const names = new Set<string>();
    for (const sel of on) for (const h of this.select(sel, pos)) names.add(h);
    return this.inventory.hosts.filter(
      (h) => names.has(h.name) && (opts.ignoreLimit || !this.limit || this.limit.has(h.name)),
    );
  }

  private select(sel: string, pos: SourcePos): string[] {
    if (sel === "all") return this.participants().map((h) => h.name);
    if (sel.startsWith("@")) {
      const name = sel.slice(1);
      if (!this.inventory.hosts.some((h) => h.name === name)) {
        throw new RunbookError(
          "unknown-target",
          `machine ${name} in on= is not in the inventory ${this.inventory.file}`,
          pos,
          didYouMean(
            name,
            this.inventory.hosts.map((h) => h.name),
          ) ?? "check the machine names in the inventory",
        );
      }
      return [name];
    }
    const roles = this.expandRoles(sel);
    return this.inventory.hosts.filter((h) => h.roles.some((r) => roles.has(r))).map((h) => h.name);
  }

  /**
   * The roles a selector stands for. Only the set matters (machines come out in inventory order), so each
   * group is walked once: walking every path through a diamond of groups would take exponential time. A
   * loop of groups adds nothing; validation reports it.
   */
  private expandRoles(sel: string): Set<string> {
    const cached = this.expanded.get(sel);
    if (cached) return cached;
    const roles = new Set<string>();
    const visited = new Set<string>();
    const pending = [sel];
    for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
      if (this.roles.has(name)) roles.add(name);
      else if (!visited.has(name)) {
        visited.add(name);
        pending.push(...(this.groups.get(name) ?? []));
      }
    }
    this.expanded.set(sel, roles);
    return roles;
  }

  private limitNames(entry: string): string[] {
    const inGroup = this.inventory.groups[entry];
    if (inGroup) return inGroup;
    if (this.inventory.hosts.some((h) => h.name === entry)) return [entry];
    if (this.roles.has(entry) || this.groups.has(entry))
      return this.select(entry, { file: "--limit", line: 0, col: 0 });
    throw new RunbookError(
      "usage",
      `--limit ${entry}: no machine, inventory group or role of that name`,
      undefined,
      didYouMean(entry, [
        ...this.inventory.hosts.map((h) => h.name),
        ...Object.keys(this.inventory.groups),
        ...this.roles,
      ]),
    );
  }
}
