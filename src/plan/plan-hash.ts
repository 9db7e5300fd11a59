import { createHash } from "node:crypto";
import type { Plan } from "../model/plan.ts";

/**
 * Canonical JSON (sorted keys) so the hash depends on content, not on property order. File paths are
 * left out: the sha256 of every source file is in, so the same runbook checked out elsewhere gives the
 * same hash and any edit gives another.
 */
export function planHash(body: Omit<Plan, "hash">): string {
  return createHash("sha256").update(canonicalJson(body)).digest("hex");
}

/**
 * JSON with every object's keys sorted (by UTF-16 code units, as `<` compares), `undefined` and `file`
 * left out. One string built left to right: a plan of thousands of steps is hashed in one pass.
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i > 0 ? "," : "") + canonicalJson(value[i]);
    return `${out}]`;
  }
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o).sort();
    let out = "{";
    let first = true;
    for (const k of keys) {
      const v = o[k];
      if (v === undefined || k === "file") continue;
      out += `${first ? "" : ","}${JSON.stringify(k)}:${canonicalJson(v)}`;
      first = false;
    }
    return `${out}}`;
  }
  return JSON.stringify(value);
}
