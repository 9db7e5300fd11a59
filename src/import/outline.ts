import type { Unit } from "./document-units.ts";

/** What each heading of the document becomes. */
export type HeadingRole =
  /** The runbook's title (the one heading above all others); a step too when it holds commands. */
  | "title"
  | "title-step"
  | "phase"
  | "step"
  /** A step-level heading whose sub-sections hold the commands: they are its steps, it is none. */
  | "container"
  /** A heading inside a step: part of its prose. */
  | "prose";

type Heading = Extract<Unit, { kind: "heading" }>;

/**
 * The deepest level of the document that holds commands becomes steps (`###` in a page whose modes
 * are `##`), the level above it phases; a deeper heading that holds a command is a step of its own,
 * one that holds none is the step's prose. `holds(i)`: unit i is code with commands.
 */
export function outline(units: Unit[], holds: (i: number) => boolean): Map<number, HeadingRole> {
  const heads: { i: number; h: Heading; direct: boolean }[] = [];
  units.forEach((u, i) => {
    if (u.kind === "heading") heads.push({ i, h: u, direct: false });
    else if (holds(i) && heads.length > 0) (heads[heads.length - 1] as { direct: boolean }).direct = true;
  });
  const roles = new Map<number, HeadingRole>();
  if (heads.length === 0) return roles;
  const first = heads[0] as (typeof heads)[number];
  const min = Math.min(...heads.map((x) => x.h.depth));
  const titled = first.h.depth === min && heads.filter((x) => x.h.depth === min).length === 1;
  const rest = titled ? heads.slice(1) : heads;
  if (titled) roles.set(first.i, first.direct ? "title-step" : "title");
  if (rest.length === 0) return roles;
  const withCommands = rest.filter((x) => x.direct).map((x) => x.h.depth);
  const stepDepth =
    withCommands.length > 0 ? Math.min(...withCommands) : Math.min(...rest.map((x) => x.h.depth));
  rest.forEach((x, n) => {
    const d = x.h.depth;
    if (d < stepDepth) roles.set(x.i, "phase");
    else if (d > stepDepth) roles.set(x.i, x.direct ? "step" : "prose");
    else if (x.direct) roles.set(x.i, "step");
    else {
      let deeperHolds = false;
      for (const y of rest.slice(n + 1)) {
        if (y.h.depth <= d) break;
        if (y.direct) deeperHolds = true;
      }
      roles.set(x.i, deeperHolds ? "container" : "step");
    }
  });
  return roles;
}
