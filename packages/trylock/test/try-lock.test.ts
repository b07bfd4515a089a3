import { Worker } from 'node:worker_threads';
import {
  InvalidArgumentError,
  LockNotHeldError,
  LockTimeoutError,
  UnsupportedCapabilityError,
} from '@lock/core';
import { describe, expect, it } from 'vitest';
import { createProvider, TryLock, TryLockAdapter, TryLockProvider } from '../src/index.js';

describe('TryLock (sync)', () => {
  it('tryLock takes a free lock once and never waits', () => {
    const lock = new TryLock();
    const other = TryLock.attach(lock.handle);
    expect(lock.tryLock()).toBe(true);
    expect(lock.tryLock()).toBe(false);
    expect(other.tryLock()).toBe(false);
    expect(other.locked).toBe(true);
    expect(other.held).toBe(false);
    lock.unlock();
    expect(other.tryLock()).toBe(true);
    other.unlock();
  });

  it('unlock is owner-checked: another owner cannot free the lock', () => {
    const lock = new TryLock();
    const other = TryLock.attach(lock.handle);
    expect(() => lock.unlock()).toThrow(LockNotHeldError);
    expect(lock.tryLock()).toBe(true);
    expect(() => other.unlock()).toThrow(LockNotHeldError);
    expect(other.unlockIfHeld()).toBe(false);
    expect(lock.held).toBe(true);
    lock.unlock();
    expect(() => lock.unlock()).toThrow(LockNotHeldError);
  });

  it('unlock by a non-holder names the lock and says it is not held by this instance', () => {
    const named = new TryLock('orders');
    const error = (() => {
      try {
        named.unlock();
      } catch (thrown) {
        return thrown;
      }
    })() as LockNotHeldError;
    expect(error).toBeInstanceOf(LockNotHeldError);
    expect(error.lockName).toBe('orders');
    expect(error.message).toBe('Cannot unlock lock "orders": it is not held by this TryLock instance');
    const unnamed = new TryLock();
    expect(() => unnamed.unlock()).toThrow(
      'Cannot unlock this lock: it is not held by this TryLock instance',
    );
    expect(() => new TryLock('')).toThrow(InvalidArgumentError);
    const adapter = new TryLockAdapter('jobs');
    expect(() => new TryLockAdapter('jobs').capabilities).not.toThrow();
    expect(adapter.name).toBe('jobs');
  });

  it('takes its name first and its handle second, like every lock; attach(handle, name) joins one', () => {
    const first = new TryLock('orders');
    const joined = new TryLock('orders, again', first.handle);
    const attached = TryLock.attach(first.handle, 'orders, attached');
    expect(first.name).toBe('orders');
    expect([joined.name, attached.name]).toEqual(['orders, again', 'orders, attached']);
    expect(first.tryLock()).toBe(true);
    expect(joined.tryLock()).toBe(false);
    expect(attached.locked).toBe(true);
    first.unlock();
    expect(() => new TryLock(first.handle as never)).toThrow(InvalidArgumentError); // the old order
  });

  it('a standalone TryLockAdapter refuses a misspelt option, naming the one meant', () => {
    let caught: unknown;
    try {
      new TryLockAdapter('jobs', undefined, { maxHold: 5 } as never);
    } catch (error) {
      caught = error;
    }
    expect(InvalidArgumentError.isInstance(caught)).toBe(true);
    expect((caught as InvalidArgumentError).parameter).toBe('options.maxHold');
    expect((caught as InvalidArgumentError).expected).toContain('did you mean `maxHoldMs`?');
  });

  it('an exhausted owner counter throws InvalidArgumentError naming the handle, not a RangeError', () => {
    const lock = new TryLock('full');
    Atomics.store(new Int32Array(lock.handle.buffer, 0, 2), 1, 0x7fffffff);
    const thrown = (() => {
      try {
        TryLock.attach(lock.handle, 'full');
      } catch (error) {
        return error;
      }
    })() as InvalidArgumentError;
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect(thrown.parameter).toBe('handle');
    expect(thrown.lockName).toBe('full');
    // The counter wrapped: every later attach is refused too, and the existing owner still works.
    expect(() => TryLock.attach(lock.handle)).toThrow(InvalidArgumentError);
    expect(lock.tryLock()).toBe(true);
    expect(lock.held).toBe(true);
    lock.unlock();
  });

  it('mints strictly increasing fencing tokens across owners', () => {
    const lock = new TryLock();
    const other = TryLock.attach(lock.handle);
    const tokens: bigint[] = [];
    for (let index = 0; index < 10; index++) {
      const owner = index % 2 === 0 ? lock : other;
      expect(owner.tryLock()).toBe(true);
      tokens.push(owner.token);
      owner.unlock();
    }
    expect(tokens).toEqual(Array.from({ length: 10 }, (_, index) => BigInt(index + 1)));
  });

  it('rejects a plain ArrayBuffer, a misaligned offset and an offset out of range', () => {
    const bad = [
      { buffer: new ArrayBuffer(16), byteOffset: 0 },
      { buffer: new SharedArrayBuffer(32), byteOffset: 4 },
      { buffer: new SharedArrayBuffer(32), byteOffset: 24 },
      { buffer: new SharedArrayBuffer(32), byteOffset: -8 },
      null,
    ];
    for (const handle of bad) {
      expect(() => TryLock.attach(handle as never)).toThrow(InvalidArgumentError);
    }
    const shared = new SharedArrayBuffer(32);
    expect(() => TryLock.attach({ buffer: shared, byteOffset: 16 })).not.toThrow();
  });

  it('4 workers: the locked counter equals the wins, and the unlocked mutant loses increments', async () => {
    const run = async (useLock: boolean) => {
      const lock = new TryLock();
      const counter = new SharedArrayBuffer(4);
      const results = await Promise.all(
        Array.from({ length: 4 }, () => {
          const worker = new Worker(new URL('./workers/hammer.mjs', import.meta.url), {
            workerData: { handle: lock.handle, counter, attempts: 200_000, useLock },
          });
          return new Promise<{ wins: number; tokenErrors: number }>((resolve, reject) => {
            worker.once('message', resolve);
            worker.once('error', reject);
          }).finally(() => worker.terminate());
        }),
      );
      const wins = results.reduce((sum, result) => sum + result.wins, 0);
      return {
        wins,
        final: new Int32Array(counter)[0]!,
        tokenErrors: results.reduce((sum, r) => sum + r.tokenErrors, 0),
      };
    };
    const locked = await run(true);
    expect(locked.wins).toBeGreaterThan(0);
    expect(locked.final).toBe(locked.wins);
    expect(locked.tokenErrors).toBe(0);
    const mutant = await run(false);
    expect(mutant.final).toBeLessThan(mutant.wins);
  });
});

describe('TryLockAdapter', () => {
  it('acquire takes a free lock, and when it is held fails at once: LockTimeoutError with timeoutMs 0, else UnsupportedCapabilityError', async () => {
    const adapter = new TryLockAdapter('jobs');
    const lease = await adapter.acquire();
    expect(lease.token).toBe(1n);
    const zero = await adapter.acquire({ timeoutMs: 0 }).catch((error: unknown) => error);
    expect(LockTimeoutError.isInstance(zero)).toBe(true);
    const waiting = await adapter.acquire({ timeoutMs: 1000 }).catch((error: unknown) => error);
    expect(UnsupportedCapabilityError.isInstance(waiting)).toBe(true);
    expect((waiting as UnsupportedCapabilityError).capability).toBe('waiting');
    expect((waiting as Error).message).toContain('jobs');
    const forever = await adapter.acquire().catch((error: unknown) => error);
    expect(UnsupportedCapabilityError.isInstance(forever)).toBe(true);
    expect(await adapter.tryAcquire()).toBeNull();
    await lease.release();
    expect(await adapter.tryAcquire()).not.toBeNull();
  });

  it('shares the lock with a raw TryLock on the same handle', async () => {
    const raw = new TryLock();
    const adapter = new TryLockAdapter('shared', TryLock.attach(raw.handle));
    expect(raw.tryLock()).toBe(true);
    expect(await adapter.tryAcquire()).toBeNull();
    raw.unlock();
    const lease = await adapter.tryAcquire();
    expect(lease).not.toBeNull();
    expect(raw.tryLock()).toBe(false);
    await lease!.release();
    expect(raw.tryLock()).toBe(true);
  });

  it('createProvider validates its config', async () => {
    expect(() => createProvider('x' as never)).toThrow(InvalidArgumentError);
    expect(() => createProvider({ url: 'x' } as never)).toThrow(/config\.url/);
    const provider = createProvider({});
    const lease = await provider.lock('a').tryAcquire();
    expect(lease).not.toBeNull();
    await lease!.release();
    expect(provider.size).toBe(0);
    await provider.close();
  });

  it("provider-made locks declare the provider's threads scope, and capabilities are not allocated per read", async () => {
    const provider = createProvider();
    const lock = provider.lock('a');
    expect(provider.capabilities.scope).toBe('threads');
    expect(lock.capabilities).toBe(provider.capabilities);
    expect(provider.capabilities).toBe(provider.capabilities);
    expect(Object.isFrozen(provider.capabilities)).toBe(true);
    expect(new TryLockAdapter('b').capabilities.scope).toBe('threads');
    await provider.close();
  });

  it('4 workers on one provider table: no two holders, exact counter, rising tokens; separate providers overlap', async () => {
    const run = async (shared: boolean) => {
      const provider = new TryLockProvider();
      const counter = new SharedArrayBuffer(8);
      const results = await Promise.all(
        Array.from({ length: 4 }, () => {
          const worker = new Worker(new URL('./workers/provider-hammer.mjs', import.meta.url), {
            workerData: { handle: provider.handle, shared, counter, attempts: 20_000 },
          });
          return new Promise<{ wins: number; overlaps: number; tokenErrors: number }>((resolve, reject) => {
            worker.once('message', resolve);
            worker.once('error', reject);
          }).finally(() => worker.terminate());
        }),
      );
      await provider.close();
      const sum = (pick: (result: (typeof results)[number]) => number) =>
        results.reduce((total, result) => total + pick(result), 0);
      return {
        wins: sum((result) => result.wins),
        overlaps: sum((result) => result.overlaps),
        tokenErrors: sum((result) => result.tokenErrors),
        final: new Int32Array(counter)[0]!,
      };
    };
    const locked = await run(true);
    expect(locked.wins).toBeGreaterThan(0);
    expect(locked.overlaps).toBe(0);
    expect(locked.tokenErrors).toBe(0);
    expect(locked.final).toBe(locked.wins);
    // The mutant: one provider per worker (what a per-process provider is) excludes nobody across threads.
    const separate = await run(false);
    expect(separate.overlaps).toBeGreaterThan(0);
  });

  it('createProvider() is the process table in every thread; a worker that cannot see it refuses', async () => {
    const hammer = (capacity: number, counter: SharedArrayBuffer) =>
      new Promise<{ wins?: number; overlaps?: number; error?: { name: string; message: string } }>(
        (resolve, reject) => {
          const worker = new Worker(new URL('./workers/provider-hammer.mjs', import.meta.url), {
            workerData: { shared: 'process', capacity, counter, attempts: 20_000 },
          });
          worker.once('message', resolve);
          worker.once('error', reject);
        },
      );
    // Capacity 37 is used by no other test: no table of that shape exists in this process yet.
    const early = await hammer(37, new SharedArrayBuffer(8));
    expect(early.error?.name).toBe('UnsupportedCapabilityError');
    expect(early.error?.message).toContain('in the main thread before starting workers');
    expect(early.error?.message).toContain('TryLockProvider.attach(handle)');
    const main = createProvider({ capacity: 37 });
    expect(createProvider({ capacity: 37 }).handle.buffer).toBe(main.handle.buffer);
    const counter = new SharedArrayBuffer(8);
    const results = await Promise.all(Array.from({ length: 4 }, () => hammer(37, counter)));
    const wins = results.reduce((total, result) => total + result.wins!, 0);
    expect(results.reduce((total, result) => total + result.overlaps!, 0)).toBe(0);
    expect(new Int32Array(counter)[0]).toBe(wins);
    await main.close();
  });

  it('a provider reopened from its handle shares names, tokens and held state; bad handles are named', async () => {
    const provider = new TryLockProvider({ capacity: 4 });
    const reopened = TryLockProvider.attach(provider.handle);
    const lease = await provider.lock('jobs').acquire();
    expect(await reopened.lock('jobs').tryAcquire()).toBeNull();
    expect(reopened.pending('jobs')).toBe(1);
    expect(reopened.size).toBe(1);
    await lease.release();
    expect(reopened.pending('jobs')).toBe(0);
    const next = await reopened.lock('jobs').acquire();
    expect(next.token > lease.token).toBe(true);
    await next.release();
    expect(reopened.pending('never-used')).toBe(0);
    provider.lock('b');
    provider.lock('c');
    provider.lock('d');
    expect(() => reopened.lock('e')).toThrow(/slots/);
    expect(() => TryLockProvider.attach({ buffer: new ArrayBuffer(16) } as never)).toThrow(/handle\.buffer/);
    expect(() => TryLockProvider.attach({ buffer: new SharedArrayBuffer(16) })).toThrow(/handle\.buffer/);
    expect(() => new TryLockProvider({ capacity: 0 })).toThrow(/options\.capacity/);
    expect(() => createProvider({ capacity: 1.5 })).toThrow(/config\.capacity/);
    await Promise.all([provider.close(), reopened.close()]);
  });
});
