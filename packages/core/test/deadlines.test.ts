import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  InvalidArgumentError,
  LockBackendError,
  LockLostError,
  LockTimeoutError,
  monotonicNow,
  sessionTtlRule,
  validateLockName,
} from '../src/index.js';
import { RemoteScriptedLock, ScriptedLock, ScriptedProvider } from './fixtures.js';

const settle = async <T>(promise: Promise<T>) => {
  try {
    return { value: await promise } as { value: T; error?: undefined };
  } catch (error) {
    return { error } as { value?: undefined; error: unknown };
  }
};

/** Blocks the event loop (no timer runs) for `ms`, as a long synchronous task or a paused process does. */
function stall(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('names', () => {
  it('refuses names that are not well-formed UTF-16, so two names never encode to one key', () => {
    const party = 'x🎉'.slice(0, 2);
    const grin = 'x😀'.slice(0, 2);
    expect(party).not.toBe(grin);
    expect(Buffer.from(party).equals(Buffer.from(grin))).toBe(true);
    for (const name of [party, grin, '\udc00tail']) {
      try {
        validateLockName(name);
        expect.unreachable();
      } catch (error) {
        expect(InvalidArgumentError.isInstance(error)).toBe(true);
        expect((error as InvalidArgumentError).parameter).toBe('name');
        expect((error as Error).message).toMatch(/well-formed UTF-16/);
      }
    }
    expect(() => validateLockName('x🎉')).not.toThrow();
  });
});

describe('lease.held and lease.signal past the safe deadline', () => {
  it('read false and aborted at the first look after a stall, before the watchdog runs', async () => {
    const lock = new ScriptedLock('stalled');
    const lease = await lock.acquire({ ttlMs: 60 });
    const signal = lease.signal;
    expect(lease.held).toBe(true);
    stall(100);
    // No timer has run since the stall: only the clock can tell.
    expect(signal.aborted).toBe(false);
    expect(lease.held).toBe(false);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as LockLostError).reason).toBe('unconfirmed');
    await expect(lease.extend()).rejects.toSatisfy(LockLostError.isInstance);
    await lease.release();
  });

  it('a signal first read after the stall is already aborted', async () => {
    const lock = new ScriptedLock('stalled-signal');
    const lease = await lock.acquire({ ttlMs: 60 });
    stall(100);
    expect(lease.signal.aborted).toBe(true);
    expect(lease.held).toBe(false);
  });

  it('uses the session deadline of a session-carried grant', async () => {
    const lock = new RemoteScriptedLock('session');
    const acquiring = lock.acquire();
    lock.pending[0]!.grant();
    const lease = await acquiring;
    lock.sessionDeadline = monotonicNow() + 30;
    expect(lease.held).toBe(true);
    stall(50);
    expect(lease.held).toBe(false);
    expect((lease.signal.reason as LockLostError).reason).toBe('unconfirmed');
  });

  it('a lease read in time stays held', async () => {
    const lock = new ScriptedLock('in-time');
    const lease = await lock.acquire({ ttlMs: 10_000 });
    stall(20);
    expect(lease.held).toBe(true);
    expect(lease.signal.aborted).toBe(false);
    await lease.release();
  });
});

describe('timeoutMs on a server backend bounds the wait for a holder, not the first answer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('grants a free lock whose server answers after the deadline', async () => {
    const lock = new RemoteScriptedLock('slow-free');
    const acquiring = settle(lock.acquire({ timeoutMs: 1 }));
    await vi.advanceTimersByTimeAsync(5);
    lock.pending[0]!.grant();
    const { value, error } = await acquiring;
    expect(error).toBeUndefined();
    expect(value?.held).toBe(true);
    await value?.release();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a server that never answers fails with its own error as LockBackendError, not LockTimeoutError', async () => {
    const lock = new RemoteScriptedLock('down');
    const acquiring = settle(lock.acquire({ timeoutMs: 1_000 }));
    await vi.advanceTimersByTimeAsync(1_500);
    const unreachable = new Error('connect ECONNREFUSED 127.0.0.1:1');
    lock.pending[0]!.fail(unreachable);
    const { error } = await acquiring;
    expect(LockTimeoutError.isInstance(error)).toBe(false);
    expect(LockBackendError.isInstance(error)).toBe(true);
    expect((error as Error).cause).toBe(unreachable);
  });

  it('times out at once when the server says "held" after the deadline', async () => {
    const lock = new RemoteScriptedLock('held-late');
    const acquiring = settle(lock.acquire({ timeoutMs: 100 }));
    await vi.advanceTimersByTimeAsync(300);
    lock.pending[0]!.queue();
    const { error } = await acquiring;
    expect(LockTimeoutError.isInstance(error)).toBe(true);
    expect((error as LockTimeoutError).timeoutMs).toBe(100);
  });

  it('times out at the deadline when the server said "held" before it', async () => {
    const lock = new RemoteScriptedLock('held');
    const acquiring = settle(lock.acquire({ timeoutMs: 100 }));
    lock.pending[0]!.queue();
    await vi.advanceTimersByTimeAsync(100);
    expect(LockTimeoutError.isInstance((await acquiring).error)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a caller abort ends the first request at once', async () => {
    const lock = new RemoteScriptedLock('abort');
    const controller = new AbortController();
    const acquiring = settle(lock.acquire({ timeoutMs: 1_000, signal: controller.signal }));
    const reason = new Error('client went away');
    controller.abort(reason);
    expect((await acquiring).error).toBe(reason);
  });

  it('an in-process lock keeps the plain deadline', async () => {
    const lock = new ScriptedLock('local', { expiring: false });
    const holder = await lock.acquire();
    const waiting = settle(lock.acquire({ timeoutMs: 50 }));
    await vi.advanceTimersByTimeAsync(50);
    expect(LockTimeoutError.isInstance((await waiting).error)).toBe(true);
    await holder.release();
  });
});

describe('lease lengths follow the backend rule', () => {
  const lockRule = { setBy: 'lock', minMs: 100, stepMs: 1 } as const;
  const sessionRule = sessionTtlRule(3_000, { minMs: 2_000, stepMs: 1_000 });

  it('refuses a lease shorter than the backend grants, before any request', async () => {
    const lock = new RemoteScriptedLock('short', { ttl: lockRule });
    const { error } = await settle(lock.acquire({ ttlMs: 1 }));
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect((error as InvalidArgumentError).parameter).toBe('options.ttlMs');
    expect((error as Error).message).toMatch(/from 100 to/);
    expect(lock.pending).toHaveLength(0);
  });

  it('refuses a per-acquisition or per-extend TTL other than the session TTL', async () => {
    const lock = new RemoteScriptedLock('session-ttl', { ttl: sessionRule });
    const { error } = await settle(lock.tryAcquire({ ttlMs: 1_500 }));
    expect((error as InvalidArgumentError).parameter).toBe('options.ttlMs');
    expect((error as Error).message).toMatch(/session's TTL \(3000 ms\)/);
    expect(lock.pending).toHaveLength(0);
    const acquiring = lock.acquire({ ttlMs: 3_000 });
    lock.pending[0]!.grant();
    const lease = await acquiring;
    const extended = await settle(lease.extend(1_500));
    expect((extended.error as InvalidArgumentError).parameter).toBe('ttlMs');
    expect(lease.held).toBe(true);
    await lease.extend(3_000);
  });

  it('sessionTtlRule: the session TTL is the only length, unless limits say what a session can be given', () => {
    expect(sessionTtlRule(4_000)).toEqual({ setBy: 'session', minMs: 4_000, stepMs: 1, sessionTtlMs: 4_000 });
    expect(sessionRule).toEqual({ setBy: 'session', minMs: 2_000, stepMs: 1_000, sessionTtlMs: 3_000 });
  });

  it('checks a lock-level ttlMs when the provider makes the lock', () => {
    class RuledProvider extends ScriptedProvider {
      override readonly capabilities = { ...new ScriptedProvider().capabilities, ttl: lockRule };
    }
    const provider = new RuledProvider();
    expect(() => provider.lock('a', { ttlMs: 50 })).toThrow(/options\.ttlMs/);
    expect(() => provider.lock('a', { ttlMs: 150 })).not.toThrow();
  });
});
