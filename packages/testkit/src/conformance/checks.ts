import type { Lease, Lock, LockOptions, LockProvider } from '@lock/core';
import { Holders } from './holders.js';

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Outcome of {@link runCounter}. */
export interface CounterResult {
  /** Increments made: contenders x rounds, less those skipped because the lease was lost first. */
  expected: number;
  /** The counter's final value; less than `expected` means increments were lost. */
  final: number;
  /**
   * Most holders inside the critical section at once, counted at every grant: the new holder and those
   * inside whose `signal` had not aborted (a lost lease's lock may go to another; see {@link Holders}).
   */
  maxConcurrent: number;
  /** Leases whose `signal` had aborted by the time they were released (allowed by the contract; reported). */
  lostLeases: number;
  /** Why those leases were lost (each distinct `signal.reason` message once). */
  lostReasons: string[];
  /** Tokens in grant order, for the monotonicity check. */
  tokens: bigint[];
}

/**
 * The chapter's counter: `contenders` tasks each do `rounds` read-wait-write increments of a shared
 * counter under the lock. Without mutual exclusion the wait between read and write loses increments.
 * `mode: 'try'` retries `tryAcquire` (for locks that never wait).
 */
export async function runCounter(
  locks: Lock[],
  options: { rounds: number; mode?: 'acquire' | 'try'; holdMs?: () => number },
): Promise<CounterResult> {
  const state = { value: 0, maxConcurrent: 0, skipped: 0 };
  const holders = new Holders<true>();
  const tokens: bigint[] = [];
  const holdMs = options.holdMs ?? (() => Math.floor(Math.random() * 3));
  const contender = async (lock: Lock) => {
    for (let round = 0; round < options.rounds; round++) {
      let lease: Lease | null = null;
      if (options.mode === 'try') {
        while ((lease = await lock.tryAcquire()) === null) await sleep(1);
      } else {
        lease = await lock.acquire();
      }
      try {
        const beside = holders.enter(lease, true, () => true);
        state.maxConcurrent = Math.max(state.maxConcurrent, 1 + beside.held);
        tokens.push(lease.token);
        const read = state.value;
        await sleep(holdMs());
        // A holder told it lost the lock does not write, as a client that checks its lease must not.
        if (lease.signal.aborted) state.skipped += 1;
        else state.value = read + 1;
      } finally {
        holders.leave(lease);
        await lease.release();
      }
    }
  };
  await Promise.all(locks.map(contender));
  return {
    expected: locks.length * options.rounds - state.skipped,
    final: state.value,
    maxConcurrent: state.maxConcurrent,
    lostLeases: holders.lostLeases,
    lostReasons: holders.lostReasons,
    tokens,
  };
}

/** True if every token is greater than the one before it. */
export function strictlyIncreasing(tokens: readonly bigint[]): boolean {
  for (let index = 1; index < tokens.length; index++) if (tokens[index]! <= tokens[index - 1]!) return false;
  return true;
}

/**
 * Holds `name`, queues `waiters` acquisitions one after another (each given `enqueueDelayMs` to reach the
 * backend's queue), releases, and returns the order in which the waiters were granted.
 */
export async function grantOrder(
  provider: LockProvider,
  name: string,
  waiters: number,
  enqueueDelayMs: number,
  queueDepth?: (name: string) => Promise<number>,
): Promise<number[]> {
  const holder = await provider.lock(name).acquire();
  const order: number[] = [];
  const pending: Promise<void>[] = [];
  for (let index = 0; index < waiters; index++) {
    pending.push(
      provider
        .lock(name)
        .acquire()
        .then(async (lease) => {
          order.push(index);
          await sleep(1);
          await lease.release();
        }),
    );
    await untilQueued(queueDepth, name, index + 1, enqueueDelayMs);
  }
  await holder.release();
  await Promise.all(pending);
  return order;
}

/** Resolves when `signal` aborts, or rejects after `timeoutMs`. */
export function whenAborted(signal: AbortSignal, timeoutMs: number): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`lease.signal did not abort within ${timeoutMs} ms`)),
      timeoutMs,
    );
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve(signal.reason);
      },
      { once: true },
    );
  });
}

/** Settles `promise` into `{ value }` or `{ error }`, for table-driven assertions. */
export async function settle<T>(
  promise: Promise<T> | (() => T | Promise<T>),
): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await (typeof promise === 'function' ? promise() : promise) };
  } catch (error) {
    return { error };
  }
}

let sequence = 0;
/** A lock name unique to this process and run, so tests never share state on a server. */
export function uniqueName(label: string): string {
  sequence += 1;
  return `conformance-${label}-${process.pid}-${Date.now().toString(36)}-${sequence}`;
}

/**
 * Waits until `depth` waiters are queued for `name` when the backend can tell (polling its queue depth
 * every few ms, up to 10 s), else sleeps `fallbackMs`.
 */
export async function untilQueued(
  queueDepth: ((name: string) => Promise<number>) | undefined,
  name: string,
  depth: number,
  fallbackMs: number,
): Promise<void> {
  if (queueDepth === undefined) {
    await sleep(fallbackMs);
    return;
  }
  const until = performance.now() + 10_000;
  while ((await queueDepth(name)) < depth) {
    if (performance.now() > until)
      throw new Error(`waiter ${depth} of ${JSON.stringify(name)} was not queued within 10 s`);
    await sleep(2);
  }
}

/** What {@link releaseKeepsLaterHolder} saw; a correct lock gives `true, false, false, true`. */
export interface ReleaseCheck {
  firstRelease: boolean;
  secondRelease: boolean;
  staleRelease: boolean;
  laterHolderKept: boolean;
}

/**
 * Release is idempotent and never frees a later holder's grant: A releases (true), releases again (false);
 * B acquires; A's stale release must be false and leave B holding (a third party cannot take the lock).
 */
export async function releaseKeepsLaterHolder(
  provider: LockProvider,
  name: string,
  lockOptions?: LockOptions,
): Promise<ReleaseCheck> {
  const first = await firstLease(provider.lock(name, lockOptions));
  const firstRelease = await first.release();
  const secondRelease = await first.release();
  const second = await firstLease(provider.lock(name, lockOptions));
  const staleRelease = await first.release();
  const third = await provider.lock(name, lockOptions).tryAcquire();
  const laterHolderKept = second.held && third === null;
  await third?.release();
  await second.release();
  return { firstRelease, secondRelease, staleRelease, laterHolderKept };
}

/** Acquires `lock`, using tryAcquire for locks that never wait (the lock is free where this is used). */
export async function firstLease(lock: Lock): Promise<Lease> {
  if (lock.capabilities.waiting !== 'none') return lock.acquire();
  const lease = await lock.tryAcquire();
  if (lease === null) throw new Error('expected a free lock');
  return lease;
}

/** What {@link lostGrantCheck} saw; a correct lock gives a LockLostError reason, then false/false/true. */
export interface LostGrantCheck {
  /** `lease.signal.reason` once it aborted. */
  reason: unknown;
  heldAfterLoss: boolean;
  /** What `extend()` threw after the loss. */
  extendError: unknown;
  /** What the lost holder's `release()` resolved after a successor took the lock. */
  staleRelease: boolean;
  /** The successor still holds the lock after that release (a third party cannot take it). */
  successorKept: boolean;
}

/**
 * A lost grant: A's grant is made lost on the backend, A's signal must abort, `extend()` must throw, a
 * successor B takes the lock, and A's release (which reaches the backend, since A never released) must
 * not free B's grant. Rejects if A's signal does not abort within `lossTimeoutMs`.
 */
export async function lostGrantCheck(
  provider: LockProvider,
  name: string,
  loseGrant: (lease: Lease, provider: LockProvider) => Promise<void>,
  lossTimeoutMs: number,
  lockOptions?: LockOptions,
): Promise<LostGrantCheck> {
  const lease = await firstLease(provider.lock(name, lockOptions));
  const signal = lease.signal;
  await loseGrant(lease, provider);
  const reason = await whenAborted(signal, lossTimeoutMs);
  const heldAfterLoss = lease.held;
  const extendError = (await settle(lease.extend())).error;
  const successor = await firstLease(provider.lock(name, lockOptions));
  const staleRelease = await lease.release();
  const third = await provider.lock(name, lockOptions).tryAcquire();
  const successorKept = successor.held && third === null;
  await third?.release();
  await successor.release();
  return { reason, heldAfterLoss, extendError, staleRelease, successorKept };
}
