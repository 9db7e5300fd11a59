import type { TemplateExpr } from "../format/template.ts";
import { parseTemplate } from "../format/template.ts";
import { RunbookError } from "../model/errors.ts";
import type { Host, Inventory } from "../model/inventory.ts";
import { DEFERRED, deferredToken } from "../model/plan.ts";
import type { Runbook, SourcePos, VarDecl } from "../model/runbook.ts";
import type { Targets } from "./targets.ts";

export { DEFERRED, deferredToken };

type Value =
  | { kind: "text"; text: string; raw: boolean }
  | { kind: "hosts"; hosts: Host[] }
  | { kind: "list"; items: string[] };

export interface Rendered {
  text: string;
  deferred: string[];
}

export type RenderMode = "text" | "regex";

/** One `{{ }}` on one machine: its value (raw: spliced as it is), or a name bound at run time. */
export type ExprValue =
  | { kind: "value"; text: string; raw: boolean }
  | { kind: "late"; name: string; raw: boolean };

/** `text` as a regular expression that matches exactly `text`. */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}

export interface PlanInputs {
  runbook: Runbook;
  inventory: Inventory;
  overrides: Record<string, string>;
  targets: Targets;
}

/**
 * A declared variable that nothing gives a value on a machine that uses it. Structured, so that an
 * interactive run can ask the operator for the value instead of stopping.
 */
export class MissingValueError extends RunbookError {
  constructor(
    readonly variable: string,
    readonly host: string,
    pos: SourcePos,
  ) {
    super(
      "bad-variable",
      `variable ${variable} has no value on machine ${host}`,
      pos,
      `set it in the inventory (hosts: ${host}: vars: ${variable}: ...) or pass --var ${variable}=...`,
    );
  }
}

/** Variables as seen from one machine, in the documented order of precedence. */
export class HostScope {
  private readonly decls: Map<string, VarDecl>;
  private readonly cache = new Map<string, string>();

  constructor(
    private readonly inputs: PlanInputs,
    readonly host: Host,
    private readonly captured: ReadonlySet<string>,
  ) {
    this.decls = new Map(inputs.runbook.vars.map((v) => [v.name, v]));
  }

  /**
   * Renders `text` as text: prose, file blocks, attributes. In `regex` mode (expect=, wait-for=) a value
   * is escaped so that it matches itself, unless raw: a value is compared as a value, never read as
   * part of the pattern.
   */
  render(text: string, mode: RenderMode, pos: SourcePos): Rendered {
    return this.renderWith(text, mode, pos, []);
  }

  private renderWith(text: string, mode: RenderMode, pos: SourcePos, stack: string[]): Rendered {
    const deferred: string[] = [];
    let out = "";
    for (const part of parseTemplate(text, pos)) {
      if (part.kind === "text") {
        out += part.text;
        continue;
      }
      const v = this.exprValue(part.expr, stack);
      if (v.kind === "late") {
        if (!deferred.includes(v.name)) deferred.push(v.name);
        out += deferredToken(v.name, true);
      } else out += mode === "regex" && !v.raw ? escapeRegex(v.text) : v.text;
    }
    return { text: out, deferred };
  }

  /** The resolved text value of a declared variable (undefined for secrets and captured values). */
  valueOf(name: string): string | undefined {
    const decl = this.decls.get(name);
    if (decl?.secret) return undefined;
    return this.resolve(name, [], { file: this.inputs.runbook.file, line: 1, col: 1 });
  }

  /** What one `{{ }}` stands for on this machine: a value, or a name known only at run time. */
  exprValue(expr: TemplateExpr, stack: string[] = []): ExprValue {
    const [head = ""] = expr.path;
    if (this.isLate(head)) {
      const raw = expr.filters.some((f) => f.name === "raw") || (this.decls.get(head)?.raw ?? false);
      return { kind: "late", name: head, raw };
    }
    let value = this.lookup(expr, stack);
    for (const f of expr.filters) value = this.applyFilter(f.name, f.args, value, expr, stack);
    if (value.kind !== "text") {
      throw new RunbookError(
        "bad-template",
        `{{ ${expr.source} }} is a list of ${value.kind === "hosts" ? "machines" : "values"}`,
        expr.pos,
        "turn it into text with | join:',' (after | addr:PORT for machines)",
      );
    }
    return { kind: "value", text: value.text, raw: value.raw || expr.filters.some((f) => f.name === "raw") };
  }

  private isLate(name: string): boolean {
    // A captured value replaces a declared one from the capture on.
    return (this.decls.get(name)?.secret ?? false) || this.captured.has(name);
  }

  private lookup(expr: TemplateExpr, stack: string[]): Value {
    const [head = "", field = ""] = expr.path;
    switch (head) {
      case "host":
        return { kind: "text", text: hostField(this.host, field), raw: false };
      case "hosts":
        return {
          kind: "hosts",
          hosts: this.inputs.targets.resolve([field], expr.pos, { ignoreLimit: true }),
        };
      case "runbook":
        return { kind: "text", text: this.inputs.runbook.title, raw: false };
      default: {
        const decl = this.decls.get(head);
        // `| default:x` covers an unset variable as well as an empty one.
        if (
          decl &&
          expr.filters.some((f) => f.name === "default") &&
          this.rawValue(decl).value === undefined
        ) {
          return { kind: "text", text: "", raw: decl.raw };
        }
        return {
          kind: "text",
          text: this.resolve(head, stack, expr.pos),
          raw: decl?.raw ?? false,
        };
      }
    }
  }

  private applyFilter(
    name: string,
    args: TemplateExpr["filters"][number]["args"],
    value: Value,
    expr: TemplateExpr,
    stack: string[],
  ): Value {
    const arg = args[0];
    const fail = (why: string, hint: string) =>
      new RunbookError("bad-template", `{{ ${expr.source} }}: ${why}`, expr.pos, hint);
    switch (name) {
      case "addr": {
        if (value.kind !== "hosts")
          throw fail("addr applies to machines", "write {{ hosts.ROLE | addr:9876 }}");
        return {
          kind: "list",
          items: value.hosts.map((h) => {
            const port =
              arg?.kind === "ref"
                ? new HostScope(this.inputs, h, this.captured).resolve(arg.path[0] ?? "", stack, expr.pos)
                : String(arg?.value ?? "");
            return `${h.address}:${port}`;
          }),
        };
      }
      case "join": {
        const sep =
          arg?.kind === "literal" ? String(arg.value) : this.resolve(arg?.path[0] ?? "", stack, expr.pos);
        if (value.kind === "text") return value;
        const items = value.kind === "hosts" ? value.hosts.map((h) => h.address) : value.items;
        return { kind: "text", text: items.join(sep), raw: false };
      }
      case "first": {
        if (value.kind === "text") return value;
        const first = value.kind === "hosts" ? value.hosts[0]?.address : value.items[0];
        if (first === undefined)
          throw fail("the list is empty", "check the inventory has a machine with that role");
        return { kind: "text", text: first, raw: false };
      }
      case "default": {
        if (value.kind !== "text" || value.text !== "") return value;
        const text =
          arg?.kind === "literal" ? String(arg.value) : this.resolve(arg?.path[0] ?? "", stack, expr.pos);
        return { kind: "text", text, raw: false };
      }
      case "raw":
        return value.kind === "text" ? { ...value, raw: true } : value;
      default:
        throw fail(`unknown filter ${name}`, "see docs/runbook-format.md");
    }
  }

  /** A declared variable's value on this machine: --var, machine, inventory, role, default. */
  private resolve(name: string, stack: string[], pos: SourcePos): string {
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached;
    if (stack.includes(name)) {
      throw new RunbookError(
        "bad-variable",
        `variables refer to each other in a loop: ${[...stack, name].join(" -> ")}`,
        pos,
        "break the loop",
      );
    }
    const decl = this.decls.get(name);
    if (!decl) {
      throw new RunbookError(
        "undefined-variable",
        `variable "${name}" is not declared`,
        pos,
        "declare it under vars:",
      );
    }
    if (decl.secret) {
      throw new RunbookError(
        "bad-variable",
        `secret ${name} cannot be used here`,
        pos,
        "secrets may appear only in commands and files",
      );
    }
    const { value, from, written } = this.rawValue(decl);
    if (value === undefined) throw new MissingValueError(name, this.host.name, pos);
    // Only what the runbook's author wrote (defaults, role values) may refer to other variables; a value
    // given with --var or in the inventory is data, taken as it is.
    const rendered = written
      ? this.renderWith(String(value), "text", decl.pos, [...stack, name])
      : { text: String(value), deferred: [] };
    const late = rendered.deferred[0];
    if (late !== undefined) {
      // The plan would hold ⟨late⟩ inside a value quoted as a whole, with no record that it is deferred.
      throw new RunbookError(
        "bad-variable",
        `the value of ${name} uses ${late}, which is known only at run time`,
        decl.pos,
        `use {{ ${late} }} directly in the command or file`,
      );
    }
    const text = rendered.text;
    if (decl.choices && !decl.choices.includes(text)) {
      throw new RunbookError(
        "bad-variable",
        `${name}=${text} (${from}) is not one of ${decl.choices.join(", ")}`,
        decl.pos,
        `choose one of ${decl.choices.join(", ")}`,
      );
    }
    if (decl.pattern && !new RegExp(decl.pattern).test(text)) {
      throw new RunbookError(
        "bad-variable",
        `${name}=${text} (${from}) does not match ${decl.pattern}`,
        decl.pos,
        decl.describe,
      );
    }
    this.cache.set(name, text);
    return text;
  }

  private rawValue(decl: VarDecl): {
    value: string | number | boolean | undefined;
    from: string;
    /** Written by the runbook's author (a default or a role's value), so it may use {{ }}. */
    written: boolean;
  } {
    const { overrides, inventory, runbook } = this.inputs;
    const name = decl.name;
    if (name in overrides) return { value: overrides[name], from: "--var", written: false };
    if (name in this.host.vars)
      return {
        value: this.host.vars[name],
        from: `machine ${this.host.name} in the inventory`,
        written: false,
      };
    if (name in inventory.vars)
      return { value: inventory.vars[name], from: "inventory vars", written: false };
    const roleValues = runbook.roles.filter((r) => this.host.roles.includes(r.name) && name in r.vars);
    const first = roleValues[0];
    if (first) {
      const other = roleValues.find((r) => r.vars[name] !== first.vars[name]);
      if (other) {
        throw new RunbookError(
          "bad-variable",
          `machine ${this.host.name} has roles ${first.name} and ${other.name}, which set ${name} differently`,
          other.pos,
          "give each role its own machine in the inventory",
        );
      }
      return { value: first.vars[name], from: `role ${first.name}`, written: true };
    }
    return { value: decl.default, from: "default", written: true };
  }
}

function hostField(host: Host, field: string): string {
  switch (field) {
    case "name":
      return host.name;
    case "address":
      return host.address;
    case "user":
      return host.user ?? "";
    default:
      return String(host.port);
  }
}
