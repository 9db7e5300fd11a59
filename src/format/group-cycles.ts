import { RunbookError } from "../model/errors.ts";
import type { SourcePos } from "../model/runbook.ts";

/**
 * Every group that contains itself, through its members, with the loop it is on. The groups' graph is
 * walked once, without recursion (Tarjan's strongly connected components): a loop of thousands of
 * groups costs linear time. Each group of a loop gets its own error, as long as loops are short.
 */
export function groupCycles(
  groups: readonly { name: string; members: string[]; pos: SourcePos }[],
): RunbookError[] {
  const byName = new Map(groups.map((g) => [g.name, g]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const component = new Map<string, number>();
  const components: string[][] = [];
  let counter = 0;
  for (const g of groups) {
    if (index.has(g.name)) continue;
    const work: { name: string; next: number }[] = [{ name: g.name, next: 0 }];
    index.set(g.name, counter);
    low.set(g.name, counter++);
    stack.push(g.name);
    onStack.add(g.name);
    while (work.length > 0) {
      const top = work[work.length - 1] as { name: string; next: number };
      const members = byName.get(top.name)?.members ?? [];
      if (top.next < members.length) {
        const m = members[top.next++] as string;
        if (!byName.has(m)) continue;
        if (!index.has(m)) {
          index.set(m, counter);
          low.set(m, counter++);
          stack.push(m);
          onStack.add(m);
          work.push({ name: m, next: 0 });
        } else if (onStack.has(m)) {
          low.set(top.name, Math.min(low.get(top.name) as number, index.get(m) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.name, Math.min(low.get(parent.name) as number, low.get(top.name) as number));
      if (low.get(top.name) === index.get(top.name)) {
        const members: string[] = [];
        for (;;) {
          const x = stack.pop() as string;
          onStack.delete(x);
          component.set(x, components.length);
          members.push(x);
          if (x === top.name) break;
        }
        components.push(members);
      }
    }
  }
  const errors: RunbookError[] = [];
  const reported = new Set<number>();
  for (const g of groups) {
    const c = component.get(g.name) as number;
    const size = components[c]?.length ?? 1;
    if (size === 1 && !g.members.includes(g.name)) continue;
    // A long loop is reported once, from its first group: one error per group would be quadratic.
    if (size > 16 && reported.has(c)) continue;
    reported.add(c);
    const path = loopFrom(g.name, byName, component);
    errors.push(
      new RunbookError("front-matter", `group ${g.name} contains itself (${path.join(" -> ")})`, g.pos),
    );
  }
  return errors;
}

/** The shortest way from a group back to itself, through groups of its component (breadth first). */
function loopFrom(
  start: string,
  byName: Map<string, { members: string[] }>,
  component: Map<string, number>,
): string[] {
  const c = component.get(start);
  const from = new Map<string, string>();
  const queue = [start];
  for (let q = 0; q < queue.length; q++) {
    const at = queue[q] as string;
    for (const m of byName.get(at)?.members ?? []) {
      if (component.get(m) !== c) continue;
      if (m === start) {
        const path = [start];
        for (let x: string | undefined = at; x !== undefined && x !== start; x = from.get(x)) path.push(x);
        path.push(start);
        return [path[0] as string, ...path.slice(1, -1).reverse(), start];
      }
      if (!from.has(m)) {
        from.set(m, at);
        queue.push(m);
      }
    }
  }
  return [start, start];
}
