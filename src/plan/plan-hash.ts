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

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([k, v]) => v !== undefined && k !== "file")
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
