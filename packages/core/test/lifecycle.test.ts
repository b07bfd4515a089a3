import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  LockBackendError,
  LockLostError,
  LockNotHeldError,
  LockTimeoutError,
  ProviderClosedError,
  UnsupportedCapabilityError,
} from '../src/index.js';
import { ScriptedLock, ScriptedProvider } from './fixtures.js';

const settle = async <T>(promise: Promise<T>) => {
  try {
    return { value: await promise } as { value: T; error?: undefined };
  } catch (error) {
    return { error } as { value?: undefined; error: unknown };
  }
};

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'],
  });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('acquire, timeout and abort', () => {
  it('times out on the monotonic clock and leaves no timer and no waiter behind', async () => {
    const lock = new ScriptedLock('orders', { expiring: false });
    const holder = await lock.acquire();
    const waiting = settle(lock.acquire({ timeoutMs: 100 }));
    expect(lock.waiters).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    const { error } = await waiting;
    expect(LockTimeoutError.isInstance(error)).toBe(true);
    expect((error as LockTimeoutError).message).toBe('Timed out after 100 ms waiting for lock "orders"');
    expect(lock.waiters).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
    await holder.release();
  });

  it('leaves no timer after a successful acquire with a timeout', async () => {
    const lock = new ScriptedLock('orders', { expiring: false });
    const holder = await lock.acquire();
    const waiting = lock.acquire({ timeoutMs: 10_000 });
    await holder.release();
    const lease = await waiting;
    expect(lease.held).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    await lease.release();
  });

  it('rejects with the caller signal reason, also when combined with a timeout', async () => {
    const lock = new ScriptedLock('orders', { expiring: false });
    const holder = await lock.acquire();
    const controller = new AbortController();
    const waiting = settle(lock.acquire({ timeoutMs: 5_000, signal: controller.signal }));
    const reason = new Error('client went away');
    controller.abort(reason);
    expect((await waiting).error).toBe(reason);
    expect(lock.waiters).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
    await holder.release();
  });

  it('a wall-clock jump changes no deadline', async () => {
    const lock = new ScriptedLock('orders', { expiring: false });
    const holder = await lock.acquire();
    const waiting = settle(lock.acquire({ timeoutMs: 1_000 }));
    vi.setSystemTime(Date.now() + 3_600_000);
    await vi.advanceTimersByTimeAsync(999);
    expect(lock.waiters).toHaveLength(1);
    await holder.release();
    const { value } = await waiting;
    expect(value?.held).toBe(true);
    await value?.release();
  });

  it('a timeout of 0 never waits', async () => {
    const lock = new ScriptedLock('orders', { expiring: false });
    const holder = await lock.acquire();
    const { error } = await settle(lock.acquire({ timeoutMs: 0 }));
    expect((error as LockTimeoutError).timeoutMs).toBe(0);
    expect(lock.waiters).toHaveLength(0);
    await holder.release();
  });

  it('wraps a backend failure in LockBackendError with the cause', async () => {
    const lock = new ScriptedLock('orders', { expiring: false });
    const failure = new Error('ECONNREFUSED');
    (lock as unknown as { acquireGrant: () => never }).acquireGrant = () => {
      throw failure;
    };
    const { error } = await settle(lock.acquire());
    expect(LockBackendError.isInstance(error)).toBe(true);
    expect((error as LockBackendError).cause).toBe(failure);
    expect((error as LockBackendError).message).toContain('ECONNREFUSED');
  });
});

describe('renewal and the safe deadline', () => {
  it('renews at a third of the TTL while held and stops after release', async () => {
    const lock = new ScriptedLock('jobs', { ttlMs: 3_000 });
    const lease = await lock.acquire();
    await vi.advanceTimersByTimeAsync(999);
    expect(lock.renewals).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(lock.renewals).toBe(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lock.renewals).toBe(11);
    expect(lease.signal.aborted).toBe(false);
    await lease.release();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lock.renewals).toBe(11);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('aborts the signal as soon as a renewal says the grant is gone', async () => {
    const lock = new ScriptedLock('jobs', { ttlMs: 3_000 });
    const lease = await lock.acquire();
    const signal = lease.signal;
    lock.renewMode = 'gone';
    await vi.advanceTimersByTimeAsync(1_000);
    expect(signal.aborted).toBe(true);
    expect(LockLostError.isInstance(signal.reason)).toBe(true);
    expect((signal.reason as LockLostError).reason).toBe('expired');
    expect((signal.reason as LockLostError).token).toBe(lease.token);
    expect(lease.held).toBe(false);
    expect((await settle(lease.extend())).error).toBe(signal.reason);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('declares a lease lost by its own deadline when renewals hang (half-open connection)', async () => {
    const lock = new ScriptedLock('jobs', { ttlMs: 3_000 });
    const lease = await lock.acquire();
    lock.renewMode = 'hang';
    // Safe deadline: grant time + TTL - drift (1% + 2 ms = 32 ms).
    await vi.advanceTimersByTimeAsync(2_967);
    expect(lease.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(lease.signal.aborted).toBe(true);
    expect((lease.signal.reason as LockLostError).reason).toBe('unconfirmed');
  });

  it('retries failed renewals and keeps the lease when one gets through in time', async () => {
    const lock = new ScriptedLock('jobs', { ttlMs: 3_000 });
    const lease = await lock.acquire();
    lock.renewMode = 'error';
    // Failures at 1000, 1656 and 2093 ms: each retry comes after a third of the time left.
    await vi.advanceTimersByTimeAsync(2_200);
    expect(lock.renewals).toBe(3);
    lock.renewMode = 'ok';
    await vi.advanceTimersByTimeAsync(1_500);
    expect(lease.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(lease.held).toBe(true);
    await lease.release();
  });

  it('reports the last renewal error as the cause when the deadline passes', async () => {
    const lock = new ScriptedLock('jobs', { ttlMs: 3_000 });
    const lease = await lock.acquire();
    lock.renewMode = 'error';
    await vi.advanceTimersByTimeAsync(3_000);
    const reason = lease.signal.reason as LockLostError;
    expect(reason.reason).toBe('unconfirmed');
    expect((reason.cause as Error).message).toBe('socket timeout');
  });

  it('caps the hold with maxHoldMs', async () => {
    const lock = new ScriptedLock('jobs', { ttlMs: 3_000, maxHoldMs: 10_000 });
    const lease = await lock.acquire();
    await vi.advanceTimersByTimeAsync(9_999);
    expect(lease.held).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect((lease.signal.reason as LockLostError).reason).toBe('max-hold');
    const renewals = lock.renewals;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lock.renewals).toBe(renewals);
  });

  it('extend() renews now and moves the deadline', async () => {
    const lock = new ScriptedLock('jobs', { ttlMs: 3_000 });
    const lease = await lock.acquire();
    lock.renewMode = 'hang';
    await vi.advanceTimersByTimeAsync(2_000);
    lock.renewMode = 'ok';
    await lease.extend(3_000);
    lock.renewMode = 'hang';
    await vi.advanceTimersByTimeAsync(2_900);
    expect(lease.held).toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(lease.held).toBe(false);
  });

  it('a renewal to a shorter TTL brings the safe deadline forward', async () => {
    const lock = new ScriptedLock('jobs', { ttlMs: 30_000 });
    const lease = await lock.acquire();
    await lease.extend(1_000);
    expect(lease.ttlMs).toBe(1_000);
    lock.renewMode = 'hang';
    // 1000 ms - (1% + 2 ms) = 988 ms after the extend was sent, not 30 s.
    await vi.advanceTimersByTimeAsync(987);
    expect(lease.held).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect((lease.signal.reason as LockLostError).reason).toBe('unconfirmed');
  });

  it('uses the drift a grant carries for its safe deadline', async () => {
    const lock = new ScriptedLock('jobs', { ttlMs: 3_000 });
    (lock as unknown as { driftMs: number }).driftMs = 300;
    const lease = await lock.acquire();
    lock.renewMode = 'hang';
    await vi.advanceTimersByTimeAsync(2_699);
    expect(lease.held).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(lease.held).toBe(false);
  });

  it('keeps renewing on new requests while one hangs, and keeps the lease when one is answered', async () => {
    const lock = new ScriptedLock('jobs', { ttlMs: 3_000 });
    const lease = await lock.acquire();
    lock.renewMode = 'hang-once';
    await vi.advanceTimersByTimeAsync(2_500);
    expect(lock.renewals).toBeGreaterThanOrEqual(2);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(lease.held).toBe(true);
    await lease.release();
  });

  it('extend() on a backend that never answers rejects with the loss at the safe deadline', async () => {
    const lock = new ScriptedLock('jobs', { ttlMs: 3_000 });
    const lease = await lock.acquire();
    lock.renewMode = 'hang';
    const extended = settle(lease.extend());
    await vi.advanceTimersByTimeAsync(3_000);
    expect(LockLostError.isInstance((await extended).error)).toBe(true);
  });

  it('extend() waiting on the backend rejects with LockNotHeldError when the lease is released meanwhile', async () => {
    const lock = new ScriptedLock('jobs', { ttlMs: 3_000 });
    const lease = await lock.acquire();
    lock.renewMode = 'hang';
    const extended = settle(lease.extend());
    await lease.release();
    expect(LockNotHeldError.isInstance((await extended).error)).toBe(true);
  });

  it('loss reported by a session hook aborts the signal once', async () => {
    const lock = new ScriptedLock('jobs', { ttlMs: 3_000 });
    const lease = await lock.acquire();
    const seen: unknown[] = [];
    lease.signal.addEventListener('abort', () => seen.push(lease.signal.reason));
    for (const lose of lock.loseWatchers) lose('session-lost', new Error('lease revoked'));
    for (const lose of lock.loseWatchers) lose('session-lost');
    expect(seen).toHaveLength(1);
    expect((seen[0] as LockLostError).reason).toBe('session-lost');
    expect(lock.loseWatchers.size).toBe(0);
  });
});

describe('a grant whose reply arrives after its safe deadline', () => {
  it('is never handed out: given back, and acquire asks again (hot path, options, a waiter)', async () => {
    const lock = new ScriptedLock('late', { ttlMs: 1_000 });
    // The reply of the first grant came 2 s after its request: its lease may have run out on the server.
    lock.lateReplies.push(2_000);
    const lease = await lock.acquire();
    expect(lease.token).toBe(2n);
    expect(lock.releases).toEqual([1]);
    expect(lease.signal.aborted).toBe(false);
    await lease.release();

    lock.lateReplies.push(995); // inside the drift margin (1% + 2 ms of 1 s): as good as expired
    const timed = await lock.acquire({ timeoutMs: 5_000 });
    expect(timed.token).toBe(4n);
    expect(lock.releases).toEqual([1, 2, 3]);

    // A waiter granted by the holder's release with a late reply asks again and gets the next grant.
    const waiting = lock.acquire({ timeoutMs: 5_000 });
    lock.lateReplies.push(5_000);
    await timed.release();
    const waited = await waiting;
    expect(waited.token).toBe(6n);
    expect(waited.held).toBe(true);
    await waited.release();
  });

  it('tryAcquire gives up (null) after giving it back', async () => {
    const lock = new ScriptedLock('late-try', { ttlMs: 1_000 });
    lock.lateReplies.push(1_500);
    expect(await lock.tryAcquire()).toBeNull();
    expect(lock.releases).toEqual([1]);
    expect(lock.holder).toBeUndefined();
    const lease = await lock.tryAcquire(); // a timely reply is a lease as ever
    expect(lease?.token).toBe(2n);
    await lease?.release();
  });
});

describe('release, withLock and close', () => {
  it('release is idempotent and never throws for a lost lease', async () => {
    const lock = new ScriptedLock('jobs', { ttlMs: 3_000 });
    const lease = await lock.acquire();
    expect(await lease.release()).toBe(true);
    expect(await lease.release()).toBe(false);
    expect(LockNotHeldError.isInstance((await settle(lease.extend())).error)).toBe(true);
    const lost = await lock.acquire();
    lock.renewMode = 'gone';
    await vi.advanceTimersByTimeAsync(1_000);
    lock.releaseMode = 'error';
    expect(await lost.release()).toBe(false);
  });

  it('a release the backend answers with "not held" reports the loss on the signal', async () => {
    const lock = new ScriptedLock('jobs', { ttlMs: 3_000 });
    const lease = await lock.acquire();
    const signal = lease.signal;
    lock.holder = undefined;
    expect(await lease.release()).toBe(false);
    expect((signal.reason as LockLostError).reason).toBe('expired');
  });

  it('a failed release of a held lease rejects with LockBackendError and stops renewing', async () => {
    const lock = new ScriptedLock('jobs', { ttlMs: 3_000 });
    const lease = await lock.acquire();
    lock.releaseMode = 'error';
    expect(LockBackendError.isInstance((await settle(lease.release())).error)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('withLock rejects with LockLostError when the grant was lost while fn ran', async () => {
    const lock = new ScriptedLock('jobs', { ttlMs: 3_000 });
    const result = settle(
      lock.withLock(async () => {
        lock.renewMode = 'gone';
        await vi.advanceTimersByTimeAsync(1_000);
        return 'done';
      }),
    );
    const { error } = await result;
    expect(LockLostError.isInstance(error)).toBe(true);
  });

  it('a grant that arrives while the provider closes is given back, not handed out', async () => {
    const provider = new ScriptedProvider();
    const lock = provider.lock('jobs', { ttlMs: 3_000 });
    const holder = await lock.acquire();
    const waiting = settle(lock.acquire());
    // close() aborts and releases the holder's lease; the release hands the lock to the waiter.
    await provider.close();
    expect(ProviderClosedError.isInstance((await waiting).error)).toBe(true);
    expect(holder.held).toBe(false);
    expect(lock.holder).toBeUndefined();
    expect(provider.leases.size).toBe(0);
  });

  it('a lost lease leaves the provider registry', async () => {
    const provider = new ScriptedProvider();
    const lock = provider.lock('jobs', { ttlMs: 3_000 });
    const lease = await lock.acquire();
    expect(provider.leases.size).toBe(1);
    lock.renewMode = 'gone';
    await vi.advanceTimersByTimeAsync(1_000);
    expect(lease.held).toBe(false);
    expect(provider.leases.size).toBe(0);
    await provider.close();
  });

  it('checks renewEveryMs against a TTL given per acquisition', async () => {
    const lock = new ScriptedLock('jobs', { ttlMs: 30_000, renewEveryMs: 5_000 });
    const { error } = await settle(lock.acquire({ ttlMs: 3_000 }));
    expect((error as { parameter?: string }).parameter).toBe('options.renewEveryMs');
    expect(lock.holder).toBeUndefined();
  });

  it('a lock that never waits says so when asked to wait, and times out at once with timeoutMs 0', async () => {
    const lock = new ScriptedLock('jobs', { expiring: false, neverWaits: true });
    const holder = await lock.acquire();
    const waited = await settle(lock.acquire({ timeoutMs: 5_000 }));
    expect(UnsupportedCapabilityError.isInstance(waited.error)).toBe(true);
    expect((waited.error as Error).message).toContain('never waits');
    expect(UnsupportedCapabilityError.isInstance((await settle(lock.acquire())).error)).toBe(true);
    expect(LockTimeoutError.isInstance((await settle(lock.acquire({ timeoutMs: 0 }))).error)).toBe(true);
    await holder.release();
  });

  it('is closed from the first synchronous step of close()', async () => {
    const provider = new ScriptedProvider();
    const lease = await provider.lock('jobs', { ttlMs: 3_000 }).acquire();
    const seen: boolean[] = [];
    lease.signal.addEventListener('abort', () => seen.push(provider.closed));
    const closing = provider.close();
    expect(seen).toEqual([true]);
    await closing;
  });

  it('close aborts held leases with reason closed, releases them, and then refuses use', async () => {
    const provider = new ScriptedProvider();
    const lock = provider.lock('jobs', { ttlMs: 3_000 });
    const lease = await lock.acquire();
    const signal = lease.signal;
    await provider.close();
    await provider.close();
    expect(provider.closedBackend).toBe(1);
    expect((signal.reason as LockLostError).reason).toBe('closed');
    expect(lock.releases).toEqual([1]);
    expect(ProviderClosedError.isInstance((await settle(lock.acquire())).error)).toBe(true);
    expect(() => provider.lock('other')).toThrow(ProviderClosedError);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('creates no AbortController until the signal is read, and a late read sees the loss', async () => {
    const lock = new ScriptedLock('jobs', { expiring: false });
    const lease = await lock.acquire();
    expect((lease as unknown as { controller: unknown }).controller).toBeUndefined();
    (lease as unknown as { lose(reason: string): void }).lose('session-lost');
    expect(lease.signal.aborted).toBe(true);
    expect((lease.signal.reason as LockLostError).reason).toBe('session-lost');
  });
});
