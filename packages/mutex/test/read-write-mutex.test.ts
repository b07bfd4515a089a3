import { LockTimeoutError } from '@lock/core';
import { checkHistory } from '@lock/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Mutex, MutexProvider, ReadWriteMutex } from '../src/index.js';
import { invalidArgument } from './invalid-argument.js';
import { abandonWaits, runModeHistory } from './mode-history.js';

const SEED = 0x5eed;

describe('ReadWriteMutex', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('safety checker: 0 overlaps with a writer, 0 lost updates, tokens in order; the write-as-read mutant is red', async () => {
    const provider = new MutexProvider();
    const run = (writeAsRead: boolean) =>
      runModeHistory(8, 60, SEED, (_task, random) => {
        const rw = provider.readWriteLock('catalog');
        const writes = random() < 0.1;
        // The mutant: a write section takes the read lock, a shared grant acting as a writer (its history
        // still says what the section is, a writer, which is what the checker judges).
        const lock = writes && !writeAsRead ? rw.write : rw.read;
        return { lock, mode: writes ? 'exclusive' : 'shared', writes };
      });

    const sound = await run(false);
    const report = checkHistory(sound.history, { initialValue: 0 });
    expect(report.overlaps.count).toBe(0);
    expect(report.tokens.regressions + report.tokens.duplicates).toBe(0);
    expect(sound.writes).toBeGreaterThan(20);
    expect(sound.final).toBe(sound.writes);
    expect(provider.size).toBe(0);

    // The same checks on the broken variant: its writers overlap readers and each other, and lose updates.
    const mutant = await run(true);
    expect(checkHistory(mutant.history).overlaps.count).toBeGreaterThan(0);
    expect(mutant.final).toBeLessThan(mutant.writes);
    await provider.close();
  });

  it('a writer release admits the whole run of readers at the head, but not the readers behind the next writer', async () => {
    const rw = new ReadWriteMutex('runs');
    const writer = await rw.write.acquire();
    const order: string[] = [];
    const held: Array<Promise<unknown>> = [];
    const queue = (label: string, lock: typeof rw.read | typeof rw.write) =>
      held.push(
        lock.acquire().then((lease) => {
          order.push(label);
          return lease;
        }),
      );
    queue('r1', rw.read);
    queue('r2', rw.read);
    queue('w2', rw.write);
    queue('r3', rw.read);
    await writer.release();
    await Promise.resolve();
    await Promise.resolve();
    expect(order).toEqual(['r1', 'r2']);
    expect(rw.write.isLocked).toBe(true);
    const [r1, r2] = (await Promise.all(held.slice(0, 2))) as Array<{ release(): Promise<boolean> }>;
    await r1!.release();
    expect(order).toEqual(['r1', 'r2']);
    await r2!.release();
    const w2 = (await held[2]) as { release(): Promise<boolean>; token: bigint };
    expect(order).toEqual(['r1', 'r2', 'w2']);
    await w2.release();
    const r3 = (await held[3]) as { release(): Promise<boolean> };
    expect(order).toEqual(['r1', 'r2', 'w2', 'r3']);
    await r3.release();
    expect(rw.write.isLocked).toBe(false);
  });

  it('provider: lock(name) is the write side of readWriteLock(name)', async () => {
    const provider = new MutexProvider();
    const reader = await provider.readWriteLock('doc').read.acquire();
    expect(await provider.lock('doc').tryAcquire()).toBeNull();
    const timedOut = await provider
      .lock('doc')
      .acquire({ timeoutMs: 20 })
      .catch((error: unknown) => error);
    expect(LockTimeoutError.isInstance(timedOut)).toBe(true);
    await reader.release();
    const writer = await provider.lock('doc').acquire();
    expect(await provider.readWriteLock('doc').read.tryAcquire()).toBeNull();
    await writer.release();
    expect(provider.pending('doc')).toBe(0);
    await provider.close();
  });

  it('a writer aborted at the head lets the readers queued behind it in at once', async () => {
    const rw = new ReadWriteMutex('abort-head');
    const reader = await rw.read.acquire();
    const controller = new AbortController();
    const writer = rw.write.acquire({ signal: controller.signal }).catch((error: unknown) => error);
    let laterReader: { release(): Promise<boolean> } | undefined;
    const later = rw.read.acquire().then((lease) => {
      laterReader = lease;
    });
    await Promise.resolve();
    expect(laterReader).toBeUndefined();
    controller.abort(new Error('no longer needed'));
    await later;
    expect(laterReader).toBeDefined();
    expect(((await writer) as Error).message).toBe('no longer needed');
    await laterReader!.release();
    await reader.release();
    expect(rw.write.isLocked).toBe(false);
  });

  it('after 4,000 timed-out or aborted readers and writers: no waiter, no timer, the name free', async () => {
    vi.useFakeTimers();
    const provider = new MutexProvider();
    const rw = provider.readWriteLock('churn');
    const writer = await rw.write.acquire();
    const timedOut = await abandonWaits(
      2_000,
      (index) => (index % 2 === 0 ? rw.read : rw.write),
      (ms) => vi.advanceTimersByTimeAsync(ms),
      (error) => LockTimeoutError.isInstance(error),
    );
    expect(timedOut).toBe(2_000);
    expect(provider.waiting('churn')).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    await writer.release();
    expect(provider.size).toBe(0);
    await provider.close();
  });

  it('rejects bad input before anything happens', () => {
    expect(invalidArgument(() => new ReadWriteMutex('')).parameter).toBe('name');
    expect(invalidArgument(() => new ReadWriteMutex('x', { maxHoldMs: -1 } as never)).parameter).toContain(
      'maxHoldMs',
    );
  });

  it('tokens strictly increase across modes and share the provider counter with plain locks', async () => {
    const provider = new MutexProvider();
    const tokens: bigint[] = [];
    for (const lock of [
      provider.lock('t'),
      provider.readWriteLock('t').read,
      provider.readWriteLock('t').write,
    ]) {
      const lease = await lock.acquire();
      tokens.push(lease.token);
      await lease.release();
    }
    const a = await provider.readWriteLock('t').read.acquire();
    const b = await provider.readWriteLock('t').read.acquire();
    tokens.push(a.token, b.token);
    await a.release();
    await b.release();
    expect(tokens).toEqual([...tokens].sort((x, y) => (x < y ? -1 : 1)));
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(new Mutex('plain').capabilities.readWrite).toBe(true);
    await provider.close();
  });
});
