import type { Lock } from '@lock/core';

/** What {@link measureLock} found. */
export interface LockMeasurement {
  /** Median of one uncontended acquire + release, in ms. */
  readonly acquireReleaseP50Ms: number;
  /** Acquire + release pairs per second over the timed rounds. */
  readonly opsPerSec: number;
  /** Timed rounds (warm-up rounds excluded). */
  readonly rounds: number;
}

/**
 * Times `rounds` uncontended acquire + release pairs on `lock`, after a few untimed warm-up rounds (first
 * connections and script loads are not what a steady caller sees).
 */
export async function measureLock(lock: Lock, rounds: number, warmupRounds = 5): Promise<LockMeasurement> {
  for (let round = 0; round < warmupRounds; round += 1) {
    const lease = await lock.acquire();
    await lease.release();
  }
  const samples = new Float64Array(rounds);
  const started = performance.now();
  for (let round = 0; round < rounds; round += 1) {
    const before = performance.now();
    const lease = await lock.acquire();
    await lease.release();
    samples[round] = performance.now() - before;
  }
  const elapsedMs = performance.now() - started;
  samples.sort();
  const middle = Math.floor(rounds / 2);
  const median = rounds % 2 === 1 ? samples[middle]! : (samples[middle - 1]! + samples[middle]!) / 2;
  return {
    acquireReleaseP50Ms: median,
    opsPerSec: elapsedMs > 0 ? (rounds * 1000) / elapsedMs : Number.POSITIVE_INFINITY,
    rounds,
  };
}
