import type { LockOptions } from '@lock/core';

/** Names the suite rejects for every backend (backends may reject more). */
export const BAD_NAMES: readonly unknown[] = [
  undefined,
  null,
  '',
  '   ',
  42,
  {},
  ['a'],
  'a\0b',
  'x'.repeat(5000),
  // A lone surrogate: two such names would encode to one key.
  'x\ud83c',
];

/** Lock options the suite rejects for every backend, with the parameter each error must name. */
export const BAD_LOCK_OPTIONS: readonly [LockOptions | unknown, string][] = [
  [{ ttlMs: 0 }, 'ttlMs'],
  [{ ttlMs: -1 }, 'ttlMs'],
  [{ ttlMs: 1.5 }, 'ttlMs'],
  [{ ttlMs: Number.NaN }, 'ttlMs'],
  [{ ttlMs: Number.POSITIVE_INFINITY }, 'ttlMs'],
  [{ ttlMs: 2 ** 53 }, 'ttlMs'],
  [{ renewEveryMs: 0 }, 'renewEveryMs'],
  [{ maxHoldMs: -5 }, 'maxHoldMs'],
  [{ ttlMs: 10_000, renewEveryMs: 9_000 }, 'renewEveryMs'],
  ['fast', 'options'],
  // A misspelt option is refused, not ignored.
  [{ ttl: 5 }, 'options.ttl'],
];

/** Acquire options the suite rejects for every backend, with the parameter each error must name. */
export const BAD_ACQUIRE_OPTIONS: readonly [unknown, string][] = [
  [{ timeoutMs: -1 }, 'timeoutMs'],
  [{ timeoutMs: Number.NaN }, 'timeoutMs'],
  [{ timeoutMs: Number.POSITIVE_INFINITY }, 'timeoutMs'],
  [{ timeoutMs: '5' }, 'timeoutMs'],
  [{ signal: {} }, 'signal'],
  [{ signal: 'abort' }, 'signal'],
  [{ ttlMs: 0 }, 'ttlMs'],
  [{ ttlMs: 2.5 }, 'ttlMs'],
  [null, 'options'],
  [7, 'options'],
  // A misspelt option is refused, not ignored: a bounded wait would wait forever.
  [{ timeout: 10 }, 'options.timeout'],
];
