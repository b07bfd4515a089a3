import type { Lease, Lock } from '@lock/core';
import { firstLease, settle, sleep, untilQueued } from './checks.js';
import type { QueueDepth } from './mode-checks.js';

/** What {@link permitsAtCapacity} saw; a correct semaphore gives `permits`, `false`, `1`, `false`. */
export interface PermitsAtCapacity {
  /** Permits held at once before the extra attempt (all `permits` of them). */
  held: number;
  /** The (permits + 1)th tryAcquire was granted. */
  extraGranted: boolean;
  /** Waiters granted after one holder released, with two waiting. */
  admittedAfterOneRelease: number;
  /** A tryAcquire after that release was granted (the freed permit went to a waiter, not to it). */
  tryAfterRelease: boolean;
}

/**
 * Takes all `permits` permits, tries one more, queues two waiters, releases one holder and counts the waiters
 * it admitted (given `settleMs` more for a second grant that should not come).
 */
export async function permitsAtCapacity(
  semaphore: () => Lock,
  name: string,
  permits: number,
  queueDepth: QueueDepth,
  enqueueDelayMs: number,
): Promise<PermitsAtCapacity> {
  const holders: Lease[] = [];
  for (let index = 0; index < permits; index++) holders.push(await firstLease(semaphore()));
  const extra = await semaphore().tryAcquire();
  const granted: Lease[] = [];
  const waiters = [0, 1].map(() =>
    semaphore()
      .acquire()
      .then((lease) => {
        granted.push(lease);
        return lease;
      }),
  );
  // With an extra permit wrongly granted, the waiters may be granted at once and never queue.
  if (extra === null) await untilQueued(queueDepth, name, 2, enqueueDelayMs);
  await holders.shift()!.release();
  await Promise.race([Promise.any(waiters), sleep(10_000)]);
  await untilQueued(queueDepth, name, 1, enqueueDelayMs);
  await sleep(Math.min(enqueueDelayMs, 50));
  const admittedAfterOneRelease = granted.length;
  const tryAfter = await semaphore().tryAcquire();
  await tryAfter?.release();
  await extra?.release();
  for (const lease of holders) await lease.release();
  for (const lease of await Promise.all(waiters)) await lease.release();
  return {
    held: permits,
    extraGranted: extra !== null,
    admittedAfterOneRelease,
    tryAfterRelease: tryAfter !== null,
  };
}

/**
 * On a semaphore of 2 permits: keeps one permit throughout and holds the other while `waiters` acquisitions
 * queue one after another, then frees it and returns the order in which the waiters were granted (each holds
 * 1 ms, so the freed permit passes from one waiter to the next).
 */
export async function permitGrantOrder(
  semaphore: () => Lock,
  name: string,
  waiters: number,
  queueDepth: QueueDepth,
  enqueueDelayMs: number,
): Promise<number[]> {
  const kept = await semaphore().acquire();
  const freed = await semaphore().acquire();
  const order: number[] = [];
  const pending: Promise<void>[] = [];
  for (let index = 0; index < waiters; index++) {
    pending.push(
      semaphore()
        .acquire()
        .then(async (lease) => {
          order.push(index);
          await sleep(1);
          await lease.release();
        }),
    );
    await untilQueued(queueDepth, name, index + 1, enqueueDelayMs);
  }
  await freed.release();
  await Promise.all(pending);
  await kept.release();
  return order;
}

/** What {@link permitsMismatch} saw; a correct semaphore rejects both attempts and then accepts `other`. */
export interface PermitsMismatch {
  /** What acquire with `other` permits rejected with while a holder used `permits`. */
  acquireError: unknown;
  /** What tryAcquire with `other` permits rejected with. */
  tryError: unknown;
  /** Once nobody holds or waits, `other` permits were accepted. */
  acceptedWhenFree: boolean;
}

/** Holds a permit of `semaphore(permits)` and asks `semaphore(other)` for one. */
export async function permitsMismatch(
  semaphore: (permits: number) => Lock,
  permits: number,
  other: number,
): Promise<PermitsMismatch> {
  const holder = await firstLease(semaphore(permits));
  const attempt = await settle(semaphore(other).acquire({ timeoutMs: 1_000 }));
  const tryAttempt = await settle(semaphore(other).tryAcquire());
  await attempt.value?.release();
  await tryAttempt.value?.release();
  await holder.release();
  const free = await semaphore(other).tryAcquire();
  await free?.release();
  return { acquireError: attempt.error, tryError: tryAttempt.error, acceptedWhenFree: free !== null };
}
