import type { LockStatus } from '@lock/core';

/** What a backend built before core's {@link LockStatus} returned from `status(name)`. */
interface EarlierStatus {
  owner?: unknown;
  holder?: unknown;
  waiters: readonly unknown[];
}

/**
 * How many entries (holder and waiters: keys, znodes, queue places) a `status(name)` answer lists: core's
 * `holders` plus `waiterCount`. A backend package that still returns its earlier shape (`owner` or
 * `holder`, and a `waiters` list) is read too, so the leftovers check stays right while the backends move
 * to core's shape one by one; that branch can go once every backend returns core's.
 */
export function listedEntries(status: LockStatus | EarlierStatus): number {
  if ('waiterCount' in status) return status.holders.length + status.waiterCount;
  const holder = status.owner ?? status.holder ?? null;
  return (holder === null ? 0 : 1) + status.waiters.length;
}
