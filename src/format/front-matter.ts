import { RunbookError } from "../model/errors.ts";
import type { GroupDecl, RoleDecl, Scalar, SourcePos, VarDecl } from "../model/runbook.ts";
import { isMap, isScalar, isSeq, YamlSource } from "./yaml-source.ts";

export interface FrontMatter {
  title?: string;
  summary?: string;
  confirm?: string;
  roles: RoleDecl[];
  groups: GroupDecl[];
  vars: VarDecl[];
}

const TOP_KEYS = ["title", "summary", "confirm", "roles", "groups", "vars"] as const;
const VAR_KEYS = ["default", "describe", "choices", "pattern", "secret", "raw"] as const;
const ROLE_KEYS = ["describe", "vars", "optional"] as const;
export const NAME = /^[a-z_][a-z0-9_]*$/;
export const ROLE_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** Reads and checks the YAML front matter; `lineOffset` is the file line of its first YAML line. */
export function parseFrontMatter(file: string, text: string, lineOffset: number): FrontMatter {
  const y = new YamlSource(file, text, lineOffset);
  const fm: FrontMatter = { roles: [], groups: [], vars: [] };
  if (y.root !== null && !isMap(y.root)) {
    throw new RunbookError(
      "front-matter",
      "front matter must be a mapping (title: ..., vars: ...)",
      y.nodePos(y.root),
    );
  }
  for (const [key, value] of y.entries(y.root, "the front matter", TOP_KEYS)) {
    switch (key as (typeof TOP_KEYS)[number]) {
      case "title":
        fm.title = y.string(value, "title");
        break;
      case "summary":
        fm.summary = y.string(value, "summary");
        break;
      case "confirm":
        fm.confirm = y.string(value, "confirm");
        break;
      case "roles":
        fm.roles = readRoles(y, value);
        break;
      case "groups":
        fm.groups = y.entries(value, "groups").map(([name, members, gpos]) => {
          checkName(name, ROLE_NAME, "group", gpos);
          return { name, members: y.stringList(members, `group ${name}`), pos: gpos };
        });
        break;
      case "vars":
        fm.vars = y.entries(value, "vars").map(([name, decl, vpos]) => readVar(y, name, decl, vpos));
        break;
    }
  }
  return fm;
}

function readRoles(y: YamlSource, node: Parameters<YamlSource["entries"]>[0]): RoleDecl[] {
  if (isSeq(node)) {
    return node.items.map((item) => {
      const pos = y.nodePos(item as never);
      const name = y.string(item as never, "each role");
      checkName(name, ROLE_NAME, "role", pos);
      return { name, vars: {}, pos };
    });
  }
  return y.entries(node, "roles").map(([name, decl, pos]) => {
    checkName(name, ROLE_NAME, "role", pos);
    const role: RoleDecl = { name, vars: {}, pos };
    for (const [key, value] of y.entries(decl, `role ${name}`, ROLE_KEYS)) {
      if (key === "describe") role.describe = y.string(value, `describe of role ${name}`);
      else if (key === "optional") role.optional = y.bool(value, `optional of role ${name}`);
      else role.vars = readValues(y, value, `vars of role ${name}`);
    }
    return role;
  });
}

function readValues(
  y: YamlSource,
  node: Parameters<YamlSource["entries"]>[0],
  what: string,
): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  for (const [name, value, pos] of y.entries(node, what)) {
    checkName(name, NAME, "variable", pos);
    out[name] = y.scalar(value, `${what}.${name}`);
  }
  return out;
}

function readVar(
  y: YamlSource,
  name: string,
  node: Parameters<YamlSource["entries"]>[0],
  pos: SourcePos,
): VarDecl {
  checkName(name, NAME, "variable", pos);
  const decl: VarDecl = { name, secret: false, raw: false, pos };
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) return decl;
  if (!isMap(node)) {
    // Shorthand `name: value` is the default.
    decl.default = y.scalar(node, `vars.${name}`);
    return decl;
  }
  for (const [key, value] of y.entries(node, `variable ${name}`, VAR_KEYS)) {
    switch (key as (typeof VAR_KEYS)[number]) {
      case "default":
        decl.default = y.scalar(value, `default of ${name}`);
        break;
      case "describe":
        decl.describe = y.string(value, `describe of ${name}`);
        break;
      case "choices":
        decl.choices = y.stringList(value, `choices of ${name}`);
        break;
      case "pattern":
        decl.pattern = y.string(value, `pattern of ${name}`);
        try {
          new RegExp(decl.pattern);
        } catch {
          throw new RunbookError(
            "front-matter",
            `pattern of ${name} is not a valid regular expression`,
            y.nodePos(value),
          );
        }
        break;
      case "secret":
        decl.secret = y.bool(value, `secret of ${name}`);
        break;
      case "raw":
        decl.raw = y.bool(value, `raw of ${name}`);
        break;
    }
  }
  if (decl.secret && decl.default !== undefined) {
    throw new RunbookError(
      "front-matter",
      `secret variable ${name} has a default`,
      pos,
      "a secret must never be written in a runbook; remove the default and supply it at run time",
    );
  }
  return decl;
}

function checkName(name: string, re: RegExp, what: string, pos: SourcePos): void {
  if (!re.test(name)) {
    throw new RunbookError(
      "front-matter",
      `${what} name "${name}" is not allowed`,
      pos,
      what === "variable"
        ? "variable names are lower case letters, digits and _ (broker_port)"
        : "use lower case letters, digits, - and _ (broker-a)",
    );
  }
}
