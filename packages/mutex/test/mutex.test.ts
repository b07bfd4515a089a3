import { LockTimeoutError, ProviderClosedError } from '@lock/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Mutex, MutexProvider } from '../src/index.js';
import { invalidArgument } from './invalid-argument.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Mutex', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('grants in strict FIFO order with synchronous handoff', async () => {
    const mutex = new Mutex('fifo');
    const holder = await mutex.acquire();
    const order: number[] = [];
    const waiters = [0, 1, 2, 3, 4].map((index) =>
      mutex.acquire().then(async (lease) => {
        order.push(index);
        await lease.release();
      }),
    );
    expect(mutex.waiting).toBe(5);
    await holder.release();
    // Handoff is synchronous: the lock never becomes free while someone waits, so a newcomer cannot barge.
    expect(mutex.isLocked).toBe(true);
    expect(await mutex.tryAcquire()).toBeNull();
    await Promise.all(waiters);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(mutex.isLocked).toBe(false);
  });

  it('isLocked is exact right after release', async () => {
    const mutex = new Mutex();
    const lease = await mutex.acquire();
    expect(mutex.isLocked).toBe(true);
    const released = lease.release();
    expect(mutex.isLocked).toBe(false);
    expect(await released).toBe(true);
  });

  it('issues strictly increasing fencing tokens', async () => {
    const mutex = new Mutex();
    const tokens: bigint[] = [];
    await Promise.all(
      Array.from({ length: 20 }, () => mutex.withLock((lease) => void tokens.push(lease.token))),
    );
    expect(tokens).toEqual([...tokens].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(tokens).size).toBe(20);
  });

  it('a cancelled waiter in the middle of the queue leaves in place, and the others keep their order', async () => {
    const mutex = new Mutex('middle');
    const holder = await mutex.acquire();
    const controller = new AbortController();
    const order: string[] = [];
    const first = mutex.acquire().then((lease) => {
      order.push('first');
      return lease.release();
    });
    const middle = mutex.acquire({ signal: controller.signal }).catch((error: unknown) => error);
    const last = mutex.acquire().then((lease) => {
      order.push('last');
      return lease.release();
    });
    controller.abort(new Error('gone'));
    expect(((await middle) as Error).message).toBe('gone');
    expect(mutex.waiting).toBe(2);
    await holder.release();
    await Promise.all([first, last]);
    expect(order).toEqual(['first', 'last']);
  });

  it('after 100,000 timed-out or aborted waits the queue is empty and no timer is pending', {
    timeout: 120_000,
  }, async () => {
    vi.useFakeTimers();
    const mutex = new Mutex('leak');
    const holder = await mutex.acquire();
    let timeouts = 0;
    let aborts = 0;
    // Batches of 1,000: the fake clock scans its timers linearly, so one batch of 100,000 would be quadratic.
    for (let batch = 0; batch < 100; batch++) {
      const controllers: AbortController[] = [];
      const attempts: Promise<unknown>[] = [];
      for (let index = 0; index < 1_000; index++) {
        if (index % 2 === 0) {
          attempts.push(
            mutex
              .acquire({ timeoutMs: 10 })
              .catch((error) => LockTimeoutError.isInstance(error) && timeouts++),
          );
        } else {
          const controller = new AbortController();
          controllers.push(controller);
          attempts.push(mutex.acquire({ signal: controller.signal }).catch(() => aborts++));
        }
      }
      expect(mutex.waiting).toBe(1_000);
      for (const controller of controllers) controller.abort(new Error('cancelled'));
      await vi.advanceTimersByTimeAsync(10);
      await Promise.all(attempts);
      expect(mutex.waiting).toBe(0);
    }
    expect(timeouts).toBe(50_000);
    expect(aborts).toBe(50_000);
    expect(mutex.waiting).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    // The holder is unaffected, and the lock is free the moment it releases.
    expect(await holder.release()).toBe(true);
    expect(mutex.isLocked).toBe(false);
    const next = await mutex.tryAcquire();
    expect(next).not.toBeNull();
    await next!.release();
  });

  it('a successful acquire with a timeout leaves no timer (async-mutex #33)', async () => {
    vi.useFakeTimers();
    const mutex = new Mutex();
    const holder = await mutex.acquire();
    const waiting = mutex.acquire({ timeoutMs: 60_000 });
    expect(vi.getTimerCount()).toBe(1);
    await holder.release();
    const lease = await waiting;
    expect(vi.getTimerCount()).toBe(0);
    await lease.release();
  });

  it('a timed-out waiter never acquires later', async () => {
    const mutex = new Mutex();
    const holder = await mutex.acquire();
    const late = await mutex.acquire({ timeoutMs: 5 }).catch((error: unknown) => error);
    expect(LockTimeoutError.isInstance(late)).toBe(true);
    await holder.release();
    await tick();
    expect(mutex.isLocked).toBe(false);
  });

  it('keeps a read-wait-write counter exact, and the same counter without the lock loses increments', async () => {
    const run = async (locked: boolean) => {
      const mutex = new Mutex();
      let counter = 0;
      const increment = async () => {
        const read = counter;
        await tick();
        counter = read + 1;
      };
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          for (let round = 0; round < 20; round++) {
            if (locked) await mutex.withLock(increment);
            else await increment();
          }
        }),
      );
      return counter;
    };
    expect(await run(true)).toBe(400);
    expect(await run(false)).toBeLessThan(400);
  });
});

describe('MutexProvider', () => {
  it('shares one queue between handles of the same name and drops idle entries', async () => {
    const provider = new MutexProvider();
    const first = await provider.lock('user:1').acquire();
    expect(await provider.lock('user:1').tryAcquire()).toBeNull();
    const other = await provider.lock('user:2').tryAcquire();
    expect(other).not.toBeNull();
    expect(provider.size).toBe(2);
    await first.release();
    await other!.release();
    expect(provider.size).toBe(0);
    for (let index = 0; index < 10_000; index++) {
      const lease = await provider.lock(`one-off:${index}`).acquire();
      await lease.release();
    }
    expect(provider.size).toBe(0);
    await provider.close();
  });

  it('an aborted waiter that was the last user drops the entry', async () => {
    const provider = new MutexProvider();
    const lock = provider.lock('abort-drop');
    const holder = await lock.acquire();
    const controller = new AbortController();
    const waiting = lock.acquire({ signal: controller.signal }).catch(() => 'aborted');
    expect(provider.pending('abort-drop')).toBe(2);
    controller.abort();
    expect(await waiting).toBe('aborted');
    await holder.release();
    expect(provider.size).toBe(0);
    await provider.close();
  });

  it('keeps tokens increasing per name after the entry was dropped', async () => {
    const provider = new MutexProvider();
    const tokens: bigint[] = [];
    for (let index = 0; index < 5; index++) {
      const lease = await provider.lock('orders').acquire();
      tokens.push(lease.token);
      await lease.release();
      expect(provider.size).toBe(0);
    }
    expect(tokens).toEqual([1n, 2n, 3n, 4n, 5n]);
    await provider.close();
  });

  it('close aborts held leases and rejects waiters with ProviderClosedError', async () => {
    const provider = new MutexProvider();
    const lease = await provider.lock('close').acquire();
    const signal = lease.signal;
    const waiter = provider
      .lock('close')
      .acquire()
      .catch((error: unknown) => error);
    await provider.close();
    expect(signal.aborted).toBe(true);
    const outcome = await waiter;
    expect(ProviderClosedError.isInstance(outcome), String(outcome)).toBe(true);
    expect(provider.size).toBe(0);
  });
});

describe('Mutex options', () => {
  it('a standalone Mutex refuses a misspelt option, naming the one meant', () => {
    const error = invalidArgument(() => new Mutex('x', { ttl: 5 } as never));
    expect(error.parameter).toBe('options.ttl');
    expect(error.expected).toContain('did you mean `ttlMs`?');
    expect(() => new Mutex('x', { maxHoldMs: 5 })).not.toThrow();
  });
});

describe('createProvider', () => {
  it('builds either provider from JSON and names bad fields', async () => {
    const { createProvider, SharedMutexProvider } = await import('../src/index.js');
    expect(createProvider()).toBeInstanceOf(MutexProvider);
    expect(createProvider({ backend: 'shared-mutex', capacity: 8 })).toBeInstanceOf(SharedMutexProvider);
    expect(() => createProvider({ backend: 'redis' } as never)).toThrow(/config\.backend/);
    expect(() => createProvider({ capacity: 8 } as never)).toThrow(/config\.capacity/);
    expect(() => createProvider({ backend: 'shared-mutex', capacity: '8' } as never)).toThrow(
      /config\.capacity/,
    );
    expect(() => createProvider({ backend: 'shared-mutex', maxThreads: 3 })).toThrow(/maxThreads/);
  });
});
