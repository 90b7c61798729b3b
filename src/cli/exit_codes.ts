/**
 * Every exit code ioclens uses, in one table (README "Exit codes" mirrors it).
 */
export const EXIT = {
  /** Done; for scan: completed, whatever was detected. */
  ok: 0,
  /** scan --fail-on-detect: completed and something was detected. */
  detected: 1,
  /** Unknown command or flag, missing argument, bad value on the command line. */
  usage: 2,
  /** Configuration file unreadable, malformed or invalid. */
  config: 3,
  /** The lookup service could not be reached, or was lost before all answers arrived. */
  unreachable: 4,
  /** Local I/O error: cannot read input or write the report. */
  io: 5,
  /**
   * scan: completed, but some inputs were skipped (unreadable or binary files, FIFOs or devices
   * inside a folder) or lines given up (the service was lost each time they were sent).
   * report --summary: an input is a truncated report or of an interrupted scan.
   */
  partial: 6,
  /** Interrupted by SIGINT/SIGTERM before finishing. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
