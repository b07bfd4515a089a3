import { LockBackendError } from '@lock/core';
import { describe, expect, it } from 'vitest';
import { SharedMutex, SharedMutexProvider } from '../src/index.js';
import { claimedCell } from '../src/internal.js';

describe('SharedMutex: the limits of a table', () => {
  it('a full ticket ring rejects the waiter with LockBackendError naming its lock', async () => {
    const holder = new SharedMutex('first', { maxThreads: 2 });
    const waiterHandle = SharedMutex.attach(holder.handle, 'second');
    expect(holder.tryLock()).toBe(true);
    // Stand in for another thread queued meanwhile: ticket 1 is claimed by thread id 999, so both cells
    // of the ring hold a ticket that is not done and ticket 2 has nowhere to go.
    const words = new Int32Array(holder.handle.buffer);
    const base = 16 + 2; // header, one key (2 words)
    Atomics.store(words, base + 8 + 1, claimedCell(0, 999));
    Atomics.store(words, base, 2); // NEXT
    const waiting = waiterHandle.acquire().then(
      () => undefined,
      (error: unknown) => error,
    );
    holder.unlock(); // its thread queues its waiter behind the others now: no cell is free
    const error = await waiting;
    expect(LockBackendError.isInstance(error)).toBe(true);
    expect((error as LockBackendError).lockName).toBe('second');
    expect((error as Error).message).toContain('maxThreads');
  });

  it('names claim slots; a table whose every name is held says so, and takes new names again once one is free', async () => {
    const provider = new SharedMutexProvider({ capacity: 2 });
    const a = await provider.lock('a').acquire();
    const b = await provider.lock('b').acquire();
    expect(() => provider.lock('a')).not.toThrow();
    expect(() => provider.lock('c')).toThrow(/all 2 slots of the shared table are in use/);
    await a.release();
    const c = await provider.lock('c').acquire(); // takes the idle slot of "a"
    expect(await provider.lock('b').tryAcquire()).toBeNull();
    await c.release();
    await b.release();
    await provider.close();
  });
});
