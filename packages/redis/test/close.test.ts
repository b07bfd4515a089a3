import { LockLostError, ProviderClosedError, sleep } from '@lock/core';
import { type RedisServer, startRedis } from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisProvider } from '../src/index.js';

/** Far above the test's run time: anything close() leaves behind would still be there at the end. */
const LONG_TTL_MS = 60_000;
/** Generous (the machine is shared): what is tested is that close() does not hang, not its speed. */
const BOUND_MS = 10_000;

let server: RedisServer;
let observer: RedisProvider;
beforeAll(async () => {
  server = await startRedis();
  observer = new RedisProvider({ connection: server.url, ttlMs: LONG_TTL_MS });
});
afterAll(async () => {
  await observer?.close();
  await server?.close();
});

/** Waits until `name` has `count` queued waiters. */
async function queued(name: string, count: number): Promise<void> {
  while ((await observer.status(name)).waiterCount < count) await sleep(5);
}

describe('close() leaves nothing of its own on the server', () => {
  it('releases a held lease and removes its queued waiters (and their lists); the next waiter of another process is granted at once', async () => {
    const name = 'close-busy';
    const closing = new RedisProvider({ connection: server.url, ttlMs: LONG_TTL_MS });
    const lease = await closing.lock(name).acquire();
    // Six waiters of the closing provider: three waiting forever, three with a deadline (the two paths of acquire).
    const waiters = Array.from({ length: 6 }, (_, index) =>
      closing
        .lock(name)
        .acquire(index % 2 === 0 ? undefined : { timeoutMs: 50_000 })
        .then(
          () => 'granted',
          (error: unknown) => error,
        ),
    );
    await queued(name, 6);
    // Another process's waiter, queued behind them: close() must hand the lock on to it, not to the departing waiters.
    const other = observer.lock(name).acquire({ timeoutMs: 50_000 });
    await queued(name, 7);

    await closing.close();

    expect(lease.signal.reason).toSatisfy(LockLostError.isInstance);
    for (const outcome of await Promise.all(waiters))
      expect(ProviderClosedError.isInstance(outcome), String(outcome)).toBe(true);
    // Granted by close(), long before the TTL of the closed provider's lease would have freed the lock.
    const next = await other;
    const status = await observer.status(name);
    expect(status.waiterCount).toBe(0);
    expect(status.holders).toHaveLength(1);
    await next.release();
    expect(await observer.leftoverKeys(name)).toEqual([]);
  });

  it('with no other waiter, the key and every queue entry are gone after close()', async () => {
    const name = 'close-alone';
    const closing = new RedisProvider({ connection: server.url, ttlMs: LONG_TTL_MS });
    await closing.lock(name).acquire();
    const waiters = Array.from({ length: 6 }, () =>
      closing
        .lock(name)
        .acquire()
        .catch(() => undefined),
    );
    await queued(name, 6);
    await closing.close();
    await Promise.all(waiters);
    expect(await observer.leftoverKeys(name)).toEqual([]);
  });

  it('is bounded in time when the server is gone (paused), and its waiters reject with ProviderClosedError', async () => {
    const own = await startRedis();
    const name = 'close-paused';
    const closing = new RedisProvider({ connection: own.url, ttlMs: LONG_TTL_MS });
    const watcher = new RedisProvider({ connection: own.url, ttlMs: LONG_TTL_MS });
    try {
      await closing.lock(name).acquire();
      const waiters = Array.from({ length: 3 }, () =>
        closing
          .lock(name)
          .acquire()
          .catch((error: unknown) => error),
      );
      while ((await watcher.status(name)).waiterCount < 3) await sleep(5);
      own.pause();
      const startedAt = performance.now();
      await closing.close();
      expect(performance.now() - startedAt).toBeLessThan(BOUND_MS);
      for (const outcome of await Promise.all(waiters))
        expect(ProviderClosedError.isInstance(outcome), String(outcome)).toBe(true);
      // What could not be removed in time runs out: the grant with its TTL, the waiters' entries are skipped as dead
      // by the next handoff, and the give-up markers sent before the pause expire (no list is left forever).
      own.resume();
      await sleep(200);
      const lists = (await watcher.leftoverKeys(name)).filter((key) => key.includes(':w:'));
      for (const list of lists) expect(Number(await own.command('PTTL', list)), list).toBeGreaterThan(0);
    } finally {
      own.resume();
      await watcher.close();
      await own.close();
    }
  }, 30_000);
});
