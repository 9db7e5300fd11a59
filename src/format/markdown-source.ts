import type { Code, Root, RootContent } from "mdast";
import { fromMarkdown } from "mdast-util-from-markdown";
import { frontmatterFromMarkdown } from "mdast-util-frontmatter";
import { frontmatter } from "micromark-extension-frontmatter";
import { RunbookError } from "../model/errors.ts";
import type { SourcePos } from "../model/runbook.ts";

/** A GitBook/Liquid tag standing on a line of its own: `{% hint style="info" %}`, `{% page-ref page="x.md" %}`. */
export interface TagLine {
  tag: "hint" | "endhint" | "include";
  /** hint: the style; include: the path. */
  arg: string;
  pos: SourcePos;
}

export interface MarkdownSource {
  file: string;
  text: string;
  root: Root;
  tags: TagLine[];
}

const TAG = /^\s*\{%-?\s*(hint|endhint|page-ref|include)\b(.*?)-?%\}\s*$/;

/**
 * Parses Markdown with a real CommonMark parser. GitBook tags are a line-level syntax the parser does not
 * know, so lines holding only a tag are taken out (blanked, keeping every other position) before the
 * final parse, and returned beside the tree.
 */
export function readMarkdown(file: string, text: string): MarkdownSource {
  const first = parse(text);
  checkFences(file, text, first);
  const fenced = codeLineRanges(first);
  const lines = text.split("\n");
  const tags: TagLine[] = [];
  lines.forEach((line, i) => {
    const lineNo = i + 1;
    if (fenced.some(([a, b]) => lineNo >= a && lineNo <= b)) return;
    const m = TAG.exec(line);
    if (!m?.[1]) return;
    const pos = { file, line: lineNo, col: line.indexOf("{%") + 1 };
    tags.push(readTag(m[1], m[2] ?? "", pos));
    lines[i] = "";
  });
  if (tags.length === 0) return { file, text, root: first, tags };
  const blanked = lines.join("\n");
  return { file, text: blanked, root: parse(blanked), tags };
}

function parse(text: string): Root {
  return fromMarkdown(text, {
    extensions: [frontmatter(["yaml"])],
    mdastExtensions: [frontmatterFromMarkdown(["yaml"])],
  });
}

function readTag(name: string, rest: string, pos: SourcePos): TagLine {
  const attr = (key: string) => new RegExp(`${key}\\s*=\\s*"([^"]*)"`).exec(rest)?.[1];
  switch (name) {
    case "hint": {
      const style = attr("style") ?? "info";
      return { tag: "hint", arg: style, pos };
    }
    case "endhint":
      return { tag: "endhint", arg: "", pos };
    case "page-ref": {
      const page = attr("page");
      if (!page) {
        throw new RunbookError(
          "include-missing",
          "page-ref without a page",
          pos,
          'write {% page-ref page="fragments/x.md" %}',
        );
      }
      return { tag: "include", arg: page, pos };
    }
    default: {
      const path = /^\s*"([^"]+)"\s*$/.exec(rest)?.[1] ?? /^\s*'([^']+)'\s*$/.exec(rest)?.[1];
      if (!path) {
        throw new RunbookError(
          "include-missing",
          "include without a quoted path",
          pos,
          'write {% include "fragments/x.md" %}',
        );
      }
      return { tag: "include", arg: path, pos };
    }
  }
}

function codeLineRanges(root: Root): [number, number][] {
  return root.children
    .filter((n): n is Code => n.type === "code")
    .map((n) => [n.position?.start.line ?? 0, n.position?.end.line ?? 0]);
}

/** CommonMark lets an unclosed fence run to the end of the file; for a runbook that is always a mistake. */
function checkFences(file: string, text: string, root: Root): void {
  const walk = (nodes: RootContent[]) => {
    for (const node of nodes) {
      if (node.type === "code" && node.position) {
        const src = text.slice(node.position.start.offset, node.position.end.offset);
        const lines = src.split("\n");
        const open = /^\s{0,3}(`{3,}|~{3,})/.exec(lines[0] ?? "")?.[1];
        if (!open) continue;
        // Inside a block quote every line after the first still carries its `>` markers.
        const last = (lines[lines.length - 1] ?? "").replace(/^[\s>]*/, "").trim();
        const closed =
          lines.length > 1 && last.startsWith(open) && /^(`+|~+)$/.test(last) && last[0] === open[0];
        if (!closed) {
          throw new RunbookError(
            "unterminated-fence",
            `code block opened with ${open} is never closed`,
            { file, line: node.position.start.line, col: node.position.start.column },
            `close it with a line of ${open} (everything after it was being read as code)`,
          );
        }
      }
      if ("children" in node) walk(node.children as RootContent[]);
    }
  };
  walk(root.children);
}
