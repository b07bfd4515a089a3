import type { Lease, Lock, LockProvider } from '@lock/core';

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Outcome of {@link runCounter}. */
export interface CounterResult {
  /** Increments attempted: contenders x rounds. */
  expected: number;
  /** The counter's final value; less than `expected` means increments were lost. */
  final: number;
  /** Most holders seen inside the critical section at once. */
  maxConcurrent: number;
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
  const state = { value: 0, inside: 0, maxConcurrent: 0 };
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
        state.inside += 1;
        state.maxConcurrent = Math.max(state.maxConcurrent, state.inside);
        tokens.push(lease.token);
        const read = state.value;
        await sleep(holdMs());
        state.value = read + 1;
      } finally {
        state.inside -= 1;
        await lease.release();
      }
    }
  };
  await Promise.all(locks.map(contender));
  return {
    expected: locks.length * options.rounds,
    final: state.value,
    maxConcurrent: state.maxConcurrent,
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
    await sleep(enqueueDelayMs);
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
