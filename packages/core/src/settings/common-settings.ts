import * as v from 'valibot';
import { MAX_TIMER_MS } from '../monotonic.js';

/**
 * A duration setting: a whole number of milliseconds from `minMs` (default 1) to the longest timer. The same
 * rule, in the same words, as `validatePositiveMs` for options passed in code.
 */
export function millisecondsSetting(minMs = 1) {
  const expected =
    minMs === 1
      ? `a positive integer number of milliseconds, at most ${MAX_TIMER_MS}`
      : `an integer number of milliseconds from ${minMs} to ${MAX_TIMER_MS}`;
  return v.pipe(
    v.number(expected),
    v.integer(expected),
    v.minValue(minMs, expected),
    v.maxValue(MAX_TIMER_MS, expected),
  );
}

/** A count setting: a whole number from `min` to `max`. */
export function integerSetting(min: number, max: number, expected = `an integer from ${min} to ${max}`) {
  return v.pipe(
    v.number(expected),
    v.integer(expected),
    v.minValue(min, expected),
    v.maxValue(max, expected),
  );
}
