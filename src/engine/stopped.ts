/**
 * The error of a machine whose command was stopped (q, Ctrl-C, a signal): it did not fail on its own.
 * The event says so with `stopped`; this is only what it reads as.
 */
export const STOPPED = "stopped by the operator";
