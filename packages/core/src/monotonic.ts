/**
 * Milliseconds on the monotonic clock. Deadlines in this project are measured with this, never with
 * `Date.now()`, so a wall-clock jump (NTP step, suspend/resume, a user changing the time) changes no decision.
 */
export function monotonicNow(): number {
  return performance.now();
}

/** Largest delay a Node timer accepts; larger delays fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;
