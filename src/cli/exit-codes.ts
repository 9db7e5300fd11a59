import type { RunResult } from "../engine/run-result.ts";

/** Documented in README.md; scripts depend on them, so never renumber. */
export const EXIT = {
  ok: 0,
  stepFailed: 1,
  invalidInput: 2,
  aborted: 3,
  refused: 4,
  /** The run reached its end, but nothing ran, or nothing was checked, on any machine. */
  nothingRan: 5,
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code of a run: a function of how it ended, nothing else. */
export function exitCodeOf(result: RunResult): ExitCode {
  if (result.invalid) return EXIT.invalidInput;
  switch (result.status) {
    case "ok":
      return EXIT.ok;
    case "empty":
      return EXIT.nothingRan;
    case "failed":
      return result.refused ? EXIT.refused : EXIT.stepFailed;
    case "aborted":
    case "running":
      return result.refused ? EXIT.refused : EXIT.aborted;
  }
}
