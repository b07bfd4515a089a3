import type { LeaseTtlRule } from '@lock/core';

/**
 * Shortest lease a Redis lock grants, in ms. Redis keeps any `PX` to the millisecond, so the floor comes from
 * the client: core takes a drift margin (1% of the TTL + 2 ms) off every lease, so a lease of 1 or 2 ms is
 * lost before its grant arrives; and a lease renews at a third of its TTL, so what is left for the renewal to
 * be confirmed is two thirds of the TTL minus that margin. At 100 ms that is 64 ms: a round trip plus ordinary
 * event-loop and GC pauses of tens of ms, with room for the keeper's retries (10 ms apart). Below it, normal
 * pauses turn into lost locks, and a waiter would re-check more than 40 times a second.
 */
export const MIN_LEASE_TTL_MS = 100;

/** The lease lengths Redis and Redlock locks grant exactly: any whole number of ms from 100 ms. */
export const REDIS_TTL_RULE: LeaseTtlRule = Object.freeze({
  setBy: 'lock',
  minMs: MIN_LEASE_TTL_MS,
  stepMs: 1,
});

/** Lease length when neither the provider nor the lock gives one, in ms. */
export const DEFAULT_TTL_MS = 30_000;
