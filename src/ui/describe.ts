import { formatDuration } from "../format/duration.ts";
import type { PlannedAction, PlannedWait } from "../model/plan.ts";

/** Lines that say what an action does, for the step card (the plan view has the long form). */
export function describeAction(a: PlannedAction): { text: string; dim?: boolean }[] {
  switch (a.kind) {
    case "shell": {
      const lines = a.command
        .replace(/\n$/, "")
        .split("\n")
        .map((l, i) => ({ text: `${i === 0 ? "$" : " "} ${l}` }));
      const facts = [
        a.background ? "background" : "",
        a.wait
          ? `wait ${waitText(a.wait)} ≤ ${formatDuration(a.wait.timeoutMs)}`
          : `timeout ${formatDuration(a.timeoutMs)}`,
        a.retries > 0 ? `retries ${a.retries}` : "",
        a.expect ? `expect /${a.expect}/` : "",
        a.capture ? `capture ${a.capture}` : "",
      ].filter(Boolean);
      return [...lines, { text: `  ${facts.join(" · ")}`, dim: true }];
    }
    case "file":
      return [{ text: `write ${a.path} (mode ${a.mode}, ${a.content.split("\n").length - 1} lines)` }];
    case "ts":
      return [{ text: `ts: ${a.code.split("\n")[0] ?? ""}…` }];
  }
}

export function waitText(w: PlannedWait): string {
  switch (w.kind) {
    case "log":
      return `for /${w.pattern}/ in ${w.target}`;
    case "port":
      return `for port ${w.target}`;
    case "command":
      return `for \`${w.target.trim()}\``;
  }
}
