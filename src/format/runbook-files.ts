import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { RunbookError } from "../model/errors.ts";

/**
 * The runbooks under a directory, sorted: Markdown files other than READMEs, changelogs and the
 * shared fragments (which are checked through the runbooks that include them).
 */
export function runbooksUnder(dir: string): string[] {
  return markdownFiles(dir).filter(
    (file) => !/(^|\/)(README|CHANGELOG)\.md$/i.test(file) && !/\/fragments\//.test(file),
  );
}

function markdownFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    throw new RunbookError(
      "io",
      `cannot read the directory ${dir}`,
      undefined,
      "pass a directory of runbooks",
    );
  }
  return entries.flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory())
      return name === "node_modules" || name.startsWith(".") ? [] : markdownFiles(p);
    return name.endsWith(".md") ? [p] : [];
  });
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
