import { RunbookError } from "../model/errors.ts";
import type { MachineCount, Rollout, SourcePos } from "../model/runbook.ts";
import { parseDuration } from "./duration.ts";

/** The attributes that roll a step out batch by batch; any action of the step may carry them (one only). */
export const ROLLOUT_KEYS = ["serial", "max-fail", "pause", "gate"] as const;

const STEP_ID = /^[\p{L}\p{N}][\p{L}\p{N}_-]*$/u;

function count(text: string, key: string, pos: SourcePos, min: number): MachineCount | RunbookError {
  const m = /^(\d+)(%)?$/.exec(text.trim());
  const n = Number(m?.[1]);
  if (!m || n < min || (m[2] && n > 100)) {
    return new RunbookError(
      "bad-attribute",
      `${key}=${text} is not ${min > 0 ? "a number of machines from 1" : "a number of machines"} or a share such as 25%`,
      pos,
      `write ${key}=${min > 0 ? 2 : 1} or ${key}=25%`,
    );
  }
  return m[2] ? { percent: n } : { count: n };
}

/**
 * The rollout an action's attributes describe, or undefined when it has none. Problems go to `errors`;
 * max-fail=, pause= and gate= without serial= are one, since they would silently do nothing.
 */
export function readRollout(
  str: (key: string) => string | undefined,
  posOf: (key: string) => SourcePos,
  errors: RunbookError[],
): Rollout | undefined {
  const given = ROLLOUT_KEYS.filter((k) => str(k) !== undefined);
  if (given.length === 0) return undefined;
  const serialText = str("serial");
  if (serialText === undefined) {
    const key = given[0] as string;
    errors.push(
      new RunbookError(
        "bad-attribute",
        `${key}= applies to a rollout, and this action has no serial=`,
        posOf(key),
        "add serial=N (machines per batch) or serial=25%",
      ),
    );
    return undefined;
  }
  const pos = posOf("serial");
  const serial = count(serialText, "serial", pos, 1);
  if (serial instanceof RunbookError) {
    errors.push(serial);
    return undefined;
  }
  const rollout: Rollout = { serial, pos };
  const maxFailText = str("max-fail");
  if (maxFailText !== undefined) {
    const maxFail = count(maxFailText, "max-fail", posOf("max-fail"), 0);
    if (maxFail instanceof RunbookError) errors.push(maxFail);
    else rollout.maxFail = maxFail;
  }
  const pauseText = str("pause");
  if (pauseText !== undefined) {
    try {
      rollout.pauseMs = parseDuration(pauseText, posOf("pause"), "pause");
    } catch (e) {
      if (!(e instanceof RunbookError)) throw e;
      errors.push(e);
    }
  }
  const gate = str("gate");
  if (gate !== undefined) {
    if (STEP_ID.test(gate)) rollout.gate = gate;
    else {
      errors.push(
        new RunbookError(
          "bad-attribute",
          `gate=${gate} is not a step id`,
          posOf("gate"),
          "write gate= with the id of a read-only step after this one (its heading's {#id})",
        ),
      );
    }
  }
  return rollout;
}
