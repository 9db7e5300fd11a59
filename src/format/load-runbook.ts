import { readFileSync, statSync } from "node:fs";
import type { Runbook } from "../model/runbook.ts";
import { parseRunbook, type ReadFile } from "./parse-runbook.ts";

export const readFromDisk: ReadFile = (path) => {
  try {
    return statSync(path).isFile() ? readFileSync(path, "utf8") : undefined;
  } catch {
    return undefined;
  }
};

/** Parses a runbook from the file system. */
export function loadRunbook(file: string): Runbook {
  return parseRunbook(file, readFromDisk);
}
