import { dirname, resolve } from "node:path";
import type { FileWalk } from "./file-walk.ts";
import type { FrontMatter } from "./front-matter.ts";
import type { TagLine } from "./markdown-source.ts";
import type { ProseText } from "./validate.ts";

/** `{% include "x.md" %}`: the fragment's declarations, prose, steps and phases, read in place. */
export function includeFile(walk: FileWalk, tag: TagLine): void {
  const { path, stack, ctx } = walk;
  const target = resolve(dirname(path), tag.arg);
  if (stack.includes(target) || target === path) {
    const chain = [...stack, path, target].map((p) => p.split("/").pop()).join(" -> ");
    walk.problem(
      "include-cycle",
      `include cycle: ${chain}`,
      tag.pos,
      "remove one of the includes in the loop",
    );
    return;
  }
  if (ctx.read(target) === undefined) {
    walk.problem(
      "include-missing",
      `included file ${tag.arg} does not exist (looked for ${target})`,
      tag.pos,
      "the path is relative to the including file",
    );
    return;
  }
  const from = ctx.texts.length;
  const inc = walk.readIncluded(target);
  // The fragment's introduction becomes prose here.
  const owner = walk.owner();
  for (let i = from; i < ctx.texts.length; i++) {
    const t = ctx.texts[i] as ProseText;
    if (t.owner === inc.introOwner) t.owner = owner as ProseText["owner"];
  }
  mergeFrontMatter(walk.out.fm, inc.fm);
  if (inc.intro.trim()) walk.addProse(inc.intro.trim());
  walk.addSteps(inc.looseSteps);
  if (inc.phases.length > 0) {
    walk.out.phases.push(...inc.phases);
    walk.phase = inc.phases[inc.phases.length - 1];
    walk.step = undefined;
  } else if (inc.looseSteps.length > 0) {
    // Prose after the include belongs to the included step until the next heading.
    walk.step = inc.looseSteps[inc.looseSteps.length - 1];
  }
}

/** Declarations of an included file fill in what the including file has not declared itself. */
export function mergeFrontMatter(into: FrontMatter, from: FrontMatter): void {
  for (const key of ["roles", "groups", "vars"] as const) {
    const have = new Set(into[key].map((d) => d.name));
    for (const d of from[key]) {
      if (!have.has(d.name)) (into[key] as { name: string }[]).push(d);
    }
  }
}
