// In-memory fixtures: runbooks and inventories written inline, parsed without touching the disk.
//
// Fixtures use `~~~` fences (CommonMark treats them exactly like ``` fences) so that they can be written
// in template strings without escaping every backtick; test/format/parse-runbook.test.ts checks that
// backtick fences parse the same.

import { expect } from "bun:test";
import { parseRunbook, type ReadFile } from "../../src/format/parse-runbook.ts";
import { parseInventory } from "../../src/inventory/load-inventory.ts";
import { RunbookError, RunbookErrors } from "../../src/model/errors.ts";
import type { Inventory } from "../../src/model/inventory.ts";
import type { Runbook } from "../../src/model/runbook.ts";

/** Directory the in-memory runbooks live in. */
export const DIR = "/rb";
/** Path of the main runbook in {@link parse}. */
export const MAIN = `${DIR}/main.md`;
/** Path of the inventory in {@link inventory}. */
export const INV = "/inv/hosts.yaml";

/**
 * Strips the newline after the opening backtick and the common indentation, so fixtures can be indented
 * with the test code. Line 1 of the result is the first line after the opening backtick.
 */
export function md(strings: TemplateStringsArray, ...values: unknown[]): string {
  let text = strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ""), "");
  text = text.replace(/^[ \t]*\n/, "").replace(/\n[ \t]*$/, "\n");
  const lines = text.split("\n");
  const indents = lines.filter((l) => l.trim() !== "").map((l) => /^[ \t]*/.exec(l)?.[0].length ?? 0);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut)).join("\n");
}

/** A `ReadFile` over a map of absolute path -> text; relative keys are taken relative to {@link DIR}. */
export function memFs(files: Record<string, string>): ReadFile {
  const abs = new Map(Object.entries(files).map(([k, v]) => [k.startsWith("/") ? k : `${DIR}/${k}`, v]));
  return (path) => abs.get(path);
}

/** Parses `main` as /rb/main.md; `others` are further files (fragments), relative to /rb or absolute. */
export function parse(main: string, others: Record<string, string> = {}): Runbook {
  return parseRunbook(MAIN, memFs({ [MAIN]: main, ...others }));
}

/** Runs `f`, which must throw; returns what it threw. */
export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error, but none was thrown");
}

/** The errors `f` throws, as a list (a single RunbookError is a list of one). */
export function errorsOf(f: () => unknown): RunbookError[] {
  const e = thrown(f);
  if (e instanceof RunbookErrors) return e.errors;
  if (e instanceof RunbookError) return [e];
  throw e;
}

/** The one RunbookError `f` throws (also when wrapped alone in RunbookErrors). */
export function errorOf(f: () => unknown): RunbookError {
  const errors = errorsOf(f);
  expect(errors.map((e) => e.format())).toHaveLength(1);
  return errors[0] as RunbookError;
}

/** Parses `main` and returns the single error it must produce. */
export function parseError(main: string, others: Record<string, string> = {}): RunbookError {
  return errorOf(() => parse(main, others));
}

/** `file:line:col` of an error, for exact position assertions. */
export function where(e: RunbookError): string {
  return e.pos ? `${e.pos.file}:${e.pos.line}:${e.pos.col}` : "(no position)";
}

/** Parses an inventory written inline, at /inv/hosts.yaml. */
export function inventory(yaml: string, sshConfig = ""): Inventory {
  return parseInventory(INV, yaml, sshConfig);
}

/** 1-based line number of the first line of `text` that contains `needle`. */
export function lineOf(text: string, needle: string, nth = 1): number {
  let seen = 0;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.includes(needle)) {
      seen++;
      if (seen === nth) return i + 1;
    }
  }
  throw new Error(`${JSON.stringify(needle)} not found`);
}
