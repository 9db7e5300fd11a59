/** The attributes each kind of block takes: adding one to a kind starts here. */

export const SHELL_LANGS = ["sh", "bash", "shell"];
export const TS_LANGS = ["ts", "typescript"];

import { ROLLOUT_KEYS } from "./rollout-attributes.ts";

const COMMON = ["on", "when", "as"];
export const KEYS = {
  shell: [
    ...COMMON,
    "risk",
    "confirm",
    "background",
    "log",
    "wait-log",
    "wait-for",
    "wait-port",
    "wait-cmd",
    "timeout",
    "retries",
    "retry-delay",
    "capture",
    "expect",
    "keep-going",
    ...ROLLOUT_KEYS,
  ],
  file: [...COMMON, "file", "mode", "risk", "confirm", ...ROLLOUT_KEYS],
  ts: [...COMMON, "risk", "confirm", "timeout", "retries", "retry-delay", "keep-going", ...ROLLOUT_KEYS],
  rollback: [...COMMON, "timeout"],
} as const;
export type Kind = keyof typeof KEYS;
/** Attributes written bare (`background`), never with a value. */
export const FLAGS = new Set(["background", "keep-going"]);

/** The kind of a block with attributes: file= makes any language a file; undefined for another language. */
export function kindOf(lang: string, hasFile: boolean): Kind | undefined {
  if (hasFile) return "file";
  if (SHELL_LANGS.includes(lang)) return "shell";
  if (TS_LANGS.includes(lang)) return "ts";
  return lang === "rollback" ? "rollback" : undefined;
}
