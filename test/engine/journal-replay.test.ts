import { describe, expect, test } from "bun:test";
import { type RunStatus, readRun } from "../../src/api.ts";
import { type ExitCode, exitCodeOf } from "../../src/cli/exit-codes.ts";
import { resultOf } from "../../src/engine/run-result.ts";
import { makeRun, RUN_KINDS, type RunKind } from "../helpers/run-kinds.ts";

/** How each kind of run ends, live: what the replay must give back. */
const EXPECTED: Record<RunKind, { status: RunStatus; refused: boolean; exit: ExitCode }> = {
  ok: { status: "ok", refused: false, exit: 0 },
  failed: { status: "failed", refused: false, exit: 1 },
  "failure-then-retry": { status: "ok", refused: false, exit: 0 },
  rollback: { status: "failed", refused: false, exit: 1 },
  aborted: { status: "aborted", refused: false, exit: 3 },
  refused: { status: "aborted", refused: true, exit: 4 },
  "keep-going": { status: "failed", refused: false, exit: 1 },
  empty: { status: "empty", refused: false, exit: 5 },
  resumed: { status: "ok", refused: false, exit: 0 },
};

/**
 * The event stream is the run's only truth: its journal, read back, gives the same state, the same
 * result and the same exit code as the run had live, whatever kind of run it was.
 */
describe("a journal replayed", () => {
  for (const kind of RUN_KINDS) {
    test(`${kind}: the same state, result and exit code as the live run`, async () => {
      const made = await makeRun(kind);
      try {
        const live = made.outcome;
        expect({ status: live.status, refused: live.refused, exit: exitCodeOf(live) }).toEqual(
          EXPECTED[kind],
        );
        const stored = readRun(made.stateDir, live.runId);
        // What the journal holds is what the run said, event for event.
        expect(stored.events).toEqual(made.events);
        expect(stored.state).toEqual(live.state);
        const { runId: _id, journalDir: _dir, ...liveResult } = live;
        expect(resultOf(stored.state)).toEqual(liveResult);
        expect(exitCodeOf(resultOf(stored.state))).toBe(exitCodeOf(live));
      } finally {
        made.cleanup();
      }
    });
  }
});
