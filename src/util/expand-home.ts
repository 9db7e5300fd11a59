import { homedir } from "node:os";
import { join } from "node:path";

/** `~/x` as the shell and ssh read it: in the home of whoever runs runbook. */
export function expandHome(p: string): string {
  return p.startsWith("~/") ? join(homedir(), p.slice(2)) : p;
}
