import { RunbookError } from "../model/errors.ts";
import type { Wait } from "../model/runbook.ts";
import type { BlockAttributes } from "./block-attributes.ts";
import { regexProblem } from "./patterns.ts";

/** The one wait of a shell action: wait-log with wait-for, wait-port or wait-cmd. */
export function readWait(a: BlockAttributes): Wait | undefined {
  const { errors, pos } = a;
  const posOf = (key: string) => a.posOf(key);
  const log = a.str("wait-log");
  const pattern = a.str("wait-for");
  const port = a.str("wait-port");
  const cmd = a.str("wait-cmd");
  const given = [log ?? pattern, port, cmd].filter((v) => v !== undefined).length;
  if (given > 1) {
    errors.push(
      new RunbookError(
        "bad-attribute",
        "only one wait per action: wait-log/wait-for, wait-port or wait-cmd",
        pos,
        "split the waits into separate actions",
      ),
    );
    return undefined;
  }
  if ((log === undefined) !== (pattern === undefined)) {
    errors.push(
      new RunbookError(
        "bad-attribute",
        log === undefined
          ? "wait-for needs wait-log (the file to watch)"
          : "wait-log needs wait-for (the line to wait for)",
        posOf(log === undefined ? "wait-for" : "wait-log"),
        'write wait-log="path/to.log" wait-for="regular expression"',
      ),
    );
    return undefined;
  }
  if (log !== undefined && pattern !== undefined) {
    const bad = regexProblem(pattern, posOf("wait-for"), "wait-for");
    if (bad) errors.push(bad);
    return { kind: "log", target: log, pattern };
  }
  if (port !== undefined) {
    if (!/^(\{\{.*\}\}|([^\s:]+:)?\d{1,5})$/.test(port) && !port.includes("{{")) {
      errors.push(
        new RunbookError(
          "bad-attribute",
          `wait-port=${port} is not a port`,
          posOf("wait-port"),
          "write wait-port=9876 or wait-port=host:9876",
        ),
      );
    }
    return { kind: "port", target: port };
  }
  if (cmd !== undefined) return { kind: "command", target: cmd };
  return undefined;
}
