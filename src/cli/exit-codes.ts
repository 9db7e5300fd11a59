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
