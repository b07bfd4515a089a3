/**
 * Exit codes of the `lock` command, apart from the command's own code that `lock run` passes through. They
 * follow sysexits(3) where one fits, so scripts can tell "the lock was busy" from "the command failed".
 */
export const EXIT = Object.freeze({
  /** Success (`explain`, `status`), or the command's own 0 (`run`). */
  OK: 0,
  /** Bad usage: unknown option, missing NAME or command, bad number, invalid lock name (EX_USAGE). */
  USAGE: 64,
  /** The backend failed or could not be reached (EX_UNAVAILABLE). */
  BACKEND: 69,
  /** An unexpected internal error (a bug): reported with its stack (EX_SOFTWARE). */
  INTERNAL: 70,
  /** The lock was not acquired: `--timeout` elapsed, or it was held and the policy preempts (EX_TEMPFAIL). */
  TIMEOUT: 75,
  /** Bad configuration: invalid file, no backend satisfies the needs, backend package missing (EX_CONFIG). */
  CONFIG: 78,
  /** The lock was lost while the command ran; the command was stopped as `--on-lost` says. */
  LOST: 79,
  /** The command could not be executed (permission). Shell convention. */
  NOT_EXECUTABLE: 126,
  /** The command was not found. Shell convention. */
  NOT_FOUND: 127,
  /** Added to a signal's number when the command, or `lock` itself while waiting, ended by a signal. */
  SIGNAL_BASE: 128,
});
