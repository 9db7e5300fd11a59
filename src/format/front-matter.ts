import { RunbookError, RunbookErrors } from "../model/errors.ts";
import type { GroupDecl, RoleDecl, RunbookWarning, Scalar, SourcePos, VarDecl } from "../model/runbook.ts";
import { didYouMean } from "./suggest.ts";
import { isMap, isScalar, isSeq, YamlSource } from "./yaml-source.ts";

export interface FrontMatter {
  title?: string;
  summary?: string;
  confirm?: string;
  roles: RoleDecl[];
  groups: GroupDecl[];
  vars: VarDecl[];
  /** A `title:` key was written (its value may have been wrong). */
  titleGiven?: boolean;
  /**
   * The declarations could not all be read (invalid YAML, a section that is not a mapping or a list):
   * checks that need every declaration would report names as undeclared that are not.
   */
  incomplete?: boolean;
  /** GitBook keys this project does not use: read (description as the summary) or passed over. */
  warnings?: RunbookWarning[];
}

const TOP_KEYS = ["title", "summary", "confirm", "roles", "groups", "vars"] as const;
/**
 * GitBook's own page keys: a GitBook page is at least readable (`description` is its summary), while
 * a runbook key written wrong (`varz`) stays an error.
 */
const GITBOOK_KEYS = ["description", "layout", "icon", "cover", "coverY", "hidden"] as const;
const VAR_KEYS = ["default", "describe", "choices", "pattern", "secret", "raw"] as const;
const ROLE_KEYS = ["describe", "vars", "optional", "become"] as const;
export const NAME = /^[a-z_][a-z0-9_]*$/;
export const ROLE_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** Runs `f`; a problem it reports goes to `errors` (and `fallback` is returned) instead of ending the read. */
function attempt<T>(errors: RunbookError[], f: () => T, fallback: T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RunbookError) errors.push(e);
    else if (e instanceof RunbookErrors) errors.push(...e.errors);
    else throw e;
    return fallback;
  }
}

/**
 * Reads and checks the YAML front matter; `lineOffset` is the file line of its first YAML line.
 * With `errors`, every problem is added there and what could be read is returned (a declaration with a
 * mistake is still declared, so its uses are not reported too); without it the first problem is thrown.
 */
export function parseFrontMatter(
  file: string,
  text: string,
  lineOffset: number,
  errors?: RunbookError[],
): FrontMatter {
  if (!errors) {
    const found: RunbookError[] = [];
    const fm = parseFrontMatter(file, text, lineOffset, found);
    if (found[0]) throw found[0];
    return fm;
  }
  const fm: FrontMatter = { roles: [], groups: [], vars: [] };
  const y = attempt(errors, () => new YamlSource(file, text, lineOffset, errors), undefined);
  if (!y) return { ...fm, incomplete: true };
  if (y.root !== null && !isMap(y.root)) {
    errors.push(
      new RunbookError(
        "front-matter",
        "front matter must be a mapping (title: ..., vars: ...)",
        y.nodePos(y.root),
      ),
    );
    return { ...fm, incomplete: true };
  }
  const section = <T>(f: () => T[]): T[] => {
    const before = errors.length;
    const out = attempt(errors, f, undefined);
    if (out === undefined && errors.length > before) fm.incomplete = true;
    return out ?? [];
  };
  let description: string | undefined;
  for (const [key, value, pos] of attempt(errors, () => y.entries(y.root, "the front matter"), [])) {
    if (
      !(TOP_KEYS as readonly string[]).includes(key) &&
      !(GITBOOK_KEYS as readonly string[]).includes(key)
    ) {
      // Suggestions and the list name only runbook keys: a typo of `vars` is never told to be `layout`.
      const hint = didYouMean(key, TOP_KEYS) ?? `allowed keys: ${TOP_KEYS.join(", ")}`;
      errors.push(new RunbookError("unknown-key", `unknown key "${key}" in the front matter`, pos, hint));
      continue;
    }
    if ((GITBOOK_KEYS as readonly string[]).includes(key)) {
      if (key === "description")
        description = attempt(errors, () => y.string(value, "description"), undefined);
      const use = key === "description" ? "read as the summary" : "ignored";
      fm.warnings = [
        ...(fm.warnings ?? []),
        { message: `GitBook key "${key}" is not a runbook key: ${use}`, pos },
      ];
      continue;
    }
    switch (key as (typeof TOP_KEYS)[number]) {
      case "title":
        fm.titleGiven = true;
        fm.title = attempt(errors, () => y.string(value, "title"), undefined);
        break;
      case "summary":
        fm.summary = attempt(errors, () => y.string(value, "summary"), undefined);
        break;
      case "confirm":
        fm.confirm = attempt(errors, () => y.string(value, "confirm"), undefined);
        break;
      case "roles":
        fm.roles = section(() => readRoles(y, value, errors));
        break;
      case "groups":
        fm.groups = section(() =>
          y.entries(value, "groups").map(([name, members, gpos]) => {
            attempt(errors, () => checkName(name, ROLE_NAME, "group", gpos), undefined);
            return {
              name,
              members: attempt(errors, () => y.stringList(members, `group ${name}`), []),
              pos: gpos,
            };
          }),
        );
        break;
      case "vars":
        fm.vars = section(() =>
          y.entries(value, "vars").map(([name, decl, vpos]) => readVar(y, name, decl, vpos, errors)),
        );
        break;
    }
  }
  if (fm.summary === undefined && description !== undefined) fm.summary = description;
  return fm;
}

function readRoles(
  y: YamlSource,
  node: Parameters<YamlSource["entries"]>[0],
  errors: RunbookError[],
): RoleDecl[] {
  if (isSeq(node)) {
    return node.items.flatMap((item) => {
      const pos = y.nodePos(item as never);
      const name = attempt(errors, () => y.string(item as never, "each role"), undefined);
      if (name === undefined) return [];
      attempt(errors, () => checkName(name, ROLE_NAME, "role", pos), undefined);
      return [{ name, vars: {}, pos }];
    });
  }
  return y.entries(node, "roles").map(([name, decl, pos]) => {
    attempt(errors, () => checkName(name, ROLE_NAME, "role", pos), undefined);
    const role: RoleDecl = { name, vars: {}, pos };
    for (const [key, value] of attempt(errors, () => y.entries(decl, `role ${name}`, ROLE_KEYS), [])) {
      if (key === "describe")
        role.describe = attempt(errors, () => y.string(value, `describe of role ${name}`), undefined);
      else if (key === "optional")
        role.optional = attempt(errors, () => y.bool(value, `optional of role ${name}`), undefined);
      else if (key === "become")
        role.become = attempt(errors, () => y.string(value, `become of role ${name}`), undefined);
      else role.vars = attempt(errors, () => readValues(y, value, `vars of role ${name}`, errors), {});
    }
    if (role.describe === undefined) delete role.describe;
    if (role.optional === undefined) delete role.optional;
    if (role.become === undefined) delete role.become;
    return role;
  });
}

function readValues(
  y: YamlSource,
  node: Parameters<YamlSource["entries"]>[0],
  what: string,
  errors: RunbookError[],
): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  for (const [name, value, pos] of y.entries(node, what)) {
    attempt(errors, () => checkName(name, NAME, "variable", pos), undefined);
    const v = attempt(errors, () => y.scalar(value, `${what}.${name}`), undefined);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

function readVar(
  y: YamlSource,
  name: string,
  node: Parameters<YamlSource["entries"]>[0],
  pos: SourcePos,
  errors: RunbookError[],
): VarDecl {
  attempt(errors, () => checkName(name, NAME, "variable", pos), undefined);
  const decl: VarDecl = { name, secret: false, raw: false, pos };
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) return decl;
  if (!isMap(node)) {
    // Shorthand `name: value` is the default.
    const v = attempt(errors, () => y.scalar(node, `vars.${name}`), undefined);
    if (v !== undefined) decl.default = v;
    return decl;
  }
  const set = <K extends keyof VarDecl>(key: K, read: () => VarDecl[K]) => {
    const v = attempt(errors, read, undefined);
    if (v !== undefined) decl[key] = v;
  };
  for (const [key, value] of attempt(errors, () => y.entries(node, `variable ${name}`, VAR_KEYS), [])) {
    switch (key as (typeof VAR_KEYS)[number]) {
      case "default":
        set("default", () => y.scalar(value, `default of ${name}`));
        break;
      case "describe":
        set("describe", () => y.string(value, `describe of ${name}`));
        break;
      case "choices":
        set("choices", () => y.stringList(value, `choices of ${name}`));
        break;
      case "pattern":
        set("pattern", () => {
          const pattern = y.string(value, `pattern of ${name}`);
          try {
            new RegExp(pattern);
          } catch {
            throw new RunbookError(
              "front-matter",
              `pattern of ${name} is not a valid regular expression`,
              y.nodePos(value),
            );
          }
          return pattern;
        });
        break;
      case "secret":
        set("secret", () => y.bool(value, `secret of ${name}`));
        break;
      case "raw":
        set("raw", () => y.bool(value, `raw of ${name}`));
        break;
    }
  }
  if (decl.secret && decl.default !== undefined) {
    errors.push(
      new RunbookError(
        "front-matter",
        `secret variable ${name} has a default`,
        pos,
        "a secret must never be written in a runbook; remove the default and supply it at run time",
      ),
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
