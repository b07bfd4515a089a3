import type { HistoryEvent } from '../history.js';

/** What {@link checkLostUpdates} found. */
export interface LostUpdateReport {
  /** Increments the resource acknowledged (`ok(write)` events). */
  acknowledged: number;
  initialValue: number;
  finalValue: number;
  /** Acknowledged increments missing from the final value. Must be 0 under a working lock. */
  lost: number;
  /** `lost` as a percentage of `acknowledged`. */
  percent: number;
}

/**
 * Lost updates (Jepsen lock-set style, on a counter): each critical section reads `v` and writes `v + 1`,
 * so with mutual exclusion the final value is the initial value plus the acknowledged writes. Two
 * critical sections that interleave both write the same `v + 1` and one increment disappears.
 */
export function checkLostUpdates(
  history: readonly HistoryEvent[],
  finalValue: number,
  initialValue = 0,
): LostUpdateReport {
  const acknowledged = history.filter((event) => event.f === 'write' && event.type === 'ok').length;
  const lost = Math.max(0, acknowledged - (finalValue - initialValue));
  return {
    acknowledged,
    initialValue,
    finalValue,
    lost,
    percent: acknowledged === 0 ? 0 : (100 * lost) / acknowledged,
  };
}
