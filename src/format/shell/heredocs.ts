import { basename, INTERPRETERS, PREFIX_ARGS, PREFIXES, SHELLS } from "./command-names.ts";
import type { CmdFrame } from "./frames.ts";
import { type Placement, refused, refusedAsCode } from "./placement.ts";

export interface PendingHeredoc {
  delim: string;
  strip: boolean;
  quoted: boolean;
  /** Why a value in its body would be run as code (the here-document feeds a shell, say). */
  code?: string;
}

export function readHeredocStart(
  text: string,
  i: number,
): { doc: Omit<PendingHeredoc, "code">; next: number } {
  let j = i + 2;
  const strip = text[j] === "-";
  if (strip) j++;
  while (text[j] === " " || text[j] === "\t") j++;
  let delim = "";
  let quoted = false;
  while (j < text.length && !/[\s;&|<>()]/.test(text[j] as string)) {
    const ch = text[j] as string;
    if (ch === "'" || ch === '"') {
      quoted = true;
      const end = text.indexOf(ch, j + 1);
      delim += text.slice(j + 1, end < 0 ? text.length : end);
      j = end < 0 ? text.length : end + 1;
      continue;
    }
    if (ch === "\\") {
      quoted = true;
      delim += text[j + 1] ?? "";
      j += 2;
      continue;
    }
    delim += ch;
    j++;
  }
  return { doc: { delim, strip, quoted }, next: j };
}

/** Skips here-document bodies starting at `i` (the line after their `<<`), placing the slots in them. */
export function skipHeredocBodies(
  text: string,
  i: number,
  docs: PendingHeredoc[],
  out: Placement[],
  count: number,
): number {
  let at = i;
  for (const doc of docs) {
    while (at < text.length) {
      const nl = text.indexOf("\n", at);
      const end = nl < 0 ? text.length : nl;
      const line = text.slice(at, end);
      const bare = doc.strip ? line.replace(/^\t+/, "") : line;
      if (bare === doc.delim) {
        at = nl < 0 ? text.length : nl + 1;
        break;
      }
      for (const m of line.matchAll(/\uE000(\d+)\uE001/g)) {
        const k = Number(m[1]);
        if (k >= count) continue;
        const before = line[(m.index ?? 0) - 1] ?? "";
        if (doc.quoted) out[k] = refused("quotedHeredoc");
        else if (doc.code) out[k] = refusedAsCode(doc.code);
        else if (before === "\\" || before === "$") {
          out[k] = {
            kind: "refused",
            why: `a ${before} right before it changes what the value means`,
            hint: `remove the ${before}`,
          };
        } else out[k] = { kind: "quoted", heredoc: true };
      }
      at = nl < 0 ? text.length : nl + 1;
    }
  }
  return at;
}

/** heredocCodeReason, asked once for the same words however many here-documents a command opens. */
export function cachedHeredocReason(cmd: CmdFrame): string | undefined {
  const c = cmd.heredoc;
  if (c && c.words === cmd.words.length && c.cur === cmd.cur?.lit) return c.reason;
  const reason = heredocCodeReason(cmd);
  cmd.heredoc = { words: cmd.words.length, cur: cmd.cur?.lit, reason };
  return reason;
}

/** A here-document is code when the command reading it is a shell or an interpreter (`bash <<EOF`). */
function heredocCodeReason(cmd: CmdFrame): string | undefined {
  const words = [...cmd.words.map((w) => w.lit), ...(cmd.cur ? [cmd.cur.lit] : [])];
  let k = 0;
  while (k < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[k] ?? "")) k++;
  while (k < words.length && PREFIXES.has(basename(words[k] ?? ""))) {
    const name = basename(words[k] ?? "");
    const takesArg = PREFIX_ARGS[name] ?? [];
    k++;
    while (k < words.length && (words[k] ?? "").startsWith("-"))
      k += takesArg.includes(words[k] ?? "") ? 2 : 1;
    if (name === "timeout" && /^\d/.test(words[k] ?? "")) k++;
  }
  const name = basename(words[k] ?? "");
  if (SHELLS.has(name) || name in INTERPRETERS || name === "ssh" || name === "su" || name === "eval")
    return `it stands in a here-document that ${name} reads as code`;
  return undefined;
}
