import type { Lease, LockOptions, LockProvider } from '@lock/core';

/** What a backend hands the conformance suite. */
export interface ConformanceOptions {
  /** Label of the `describe` block. */
  name: string;
  /** Makes the provider under test. Called once per suite (and once more for the close test); closed after. */
  createProvider: () => LockProvider | Promise<LockProvider>;
  /**
   * Makes `lease`'s grant lost on the backend (delete the key, revoke the session lease, expire the session).
   * With it, the suite checks that `lease.signal` aborts with `LockLostError` and `extend()` throws it.
   */
  loseGrant?: ((lease: Lease, provider: LockProvider) => Promise<void>) | undefined;
  /**
   * Counts backend entries (keys, queue entries, nodes) left for `name`; must be 0 once nobody holds or waits.
   * The read-write and semaphore cases pass the same `name` they gave `readWriteLock()` / `semaphore()`: count
   * the entries of every primitive of that name (readers, writers, permits, their queues and counters that a
   * backend deletes once idle).
   */
  leftovers?: ((name: string, provider: LockProvider) => Promise<number>) | undefined;
  /**
   * Counts the waiters queued for `name` on the backend. With it, the FIFO and abort checks wait until each
   * waiter is really queued instead of sleeping `enqueueDelayMs`, so scheduling delays cannot reorder them.
   * The read-write and semaphore cases pass the name they gave `readWriteLock()` / `semaphore()`: count the
   * waiters of every mode queued for it (readers and writers together, permit waiters).
   */
  queueDepth?: ((name: string, provider: LockProvider) => Promise<number>) | undefined;
  /** Time for a waiter to reach the backend's queue when there is no `queueDepth` hook. Default 50 ms. */
  enqueueDelayMs?: number | undefined;
  /**
   * For backends whose grants expire: acquire with `ttlMs` and hold for `holdMs` (more than twice the TTL);
   * the lease must renew itself and stay held, with its signal quiet and the lock still taken.
   */
  renewal?: { ttlMs: number; holdMs: number } | undefined;
  /** Concurrent contenders in the counter check. Default 10. */
  contenders?: number | undefined;
  /** Increments per contender. Default 5. */
  rounds?: number | undefined;
  /** How long `lease.signal` may take to abort after `loseGrant`. Default 15,000 ms. */
  lossTimeoutMs?: number | undefined;
  /** Options passed to every `provider.lock()` call. */
  lockOptions?: LockOptions | undefined;
  /** Per-test timeout in ms. Default 30,000. */
  testTimeoutMs?: number | undefined;
}
