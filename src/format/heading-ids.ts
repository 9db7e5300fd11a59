import { RunbookError } from "../model/errors.ts";
import type { Phase, SourcePos, Step } from "../model/runbook.ts";
import { type AttributeList, parseAttributes } from "./attributes.ts";

/** The heading's title and its `{#id}`, if written; a mistake in the braces is reported, the title kept. */
export function headingId(
  plain: string,
  source: string,
  pos: SourcePos,
  report: (e: RunbookError) => void,
): { id?: string; title: string } {
  const text = plain.trim();
  // (No leading \s* in the pattern: tried at every space of a long run of them, it is quadratic.)
  const m = /(\{[^{}]*\})\s*$/.exec(text);
  const attrText = m?.[1];
  if (!attrText?.includes("#")) return { title: text };
  const title = text.slice(0, m?.index).trim();
  const braceCol = source.lastIndexOf(attrText);
  let list: AttributeList;
  try {
    list = parseAttributes(attrText, { ...pos, col: pos.col + Math.max(braceCol, 0) });
  } catch (e) {
    if (!(e instanceof RunbookError)) throw e;
    report(e);
    return { title };
  }
  if (list.attrs.length > 0) {
    report(
      new RunbookError(
        "bad-attribute",
        `a heading takes only an id, not ${list.attrs[0]?.key}=`,
        list.attrs[0]?.pos ?? pos,
        "put attributes on the step's code blocks",
      ),
    );
  }
  return { id: list.id, title };
}

/**
 * A heading as an id: its letters and digits, of every script, lower-cased (with the marks that belong
 * to them, as in Devanagari or Thai), everything else turned into `-`: `单Master模式` -> `单master模式`.
 */
export function slug(title: string, fallback: string): string {
  const s = title
    .normalize("NFC")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}]+/gu, "-")
    .replace(/^[-\p{M}]+|-+$/gu, "");
  return s === "" ? fallback : s;
}

/**
 * A generated id that an earlier generated one already has gets a suffix, in document order (`-2`, `-3`),
 * skipping every id a heading has or writes (so no other heading's id changes). Explicit {#id}s are
 * left as written: one that another heading has too is an error (duplicate-ids.ts).
 */
export function assignIds(phases: Phase[], generated: WeakSet<Phase | Step>): void {
  const steps = phases.flatMap((p) => p.steps);
  for (const list of [phases, steps] as (Phase | Step)[][]) {
    const taken = new Set(list.map((x) => x.id));
    const seen = new Set<string>();
    const next = new Map<string, number>();
    for (const x of list) {
      if (!generated.has(x)) continue;
      if (!seen.has(x.id)) {
        seen.add(x.id);
        continue;
      }
      const base = x.id;
      let n = next.get(base) ?? 2;
      while (taken.has(`${base}-${n}`)) n++;
      next.set(base, n + 1);
      x.id = `${base}-${n}`;
      taken.add(x.id);
      seen.add(x.id);
    }
  }
}
