import { InvalidArgumentError, LockBackendError, LockLostError, sleep } from '@lock/core';
import { FaultProxy, parseInfo, type RedisServer, startRedis } from '@lock/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CommandTimeoutError,
  createProvider,
  RedisProvider,
  RedlockProvider,
  redisCapabilities,
} from '../src/index.js';
import { ACQUIRE, grantedToken, lockKeys, RELEASE, runScript } from '../src/internal.js';

let server: RedisServer;
const providers: RedisProvider[] = [];
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  await server?.close();
});

function provider(options: { ttlMs?: number; recheckMs?: number; prefix?: string } = {}): RedisProvider {
  const made = new RedisProvider({ connection: server.url, ttlMs: 3000, ...options });
  providers.push(made);
  return made;
}

describe('bad options are rejected before any I/O', () => {
  const url = 'redis://127.0.0.1:1'; // nothing listens there: a connection attempt would show as an error, not a throw
  it.each([
    [{ connection: url, ttlMs: 0 }, 'options.ttlMs'],
    [{ connection: url, ttlMs: -5 }, 'options.ttlMs'],
    [{ connection: url, ttlMs: 1.5 }, 'options.ttlMs'],
    [{ connection: url, ttlMs: Number.NaN }, 'options.ttlMs'],
    [{ connection: url, ttlMs: 1000, renewEveryMs: 1000 }, 'options.renewEveryMs'],
    [{ connection: url, ttlMs: 1000, renewEveryMs: 600 }, 'options.renewEveryMs'],
    [{ connection: url, ttlMs: 1000, recheckMs: 500 }, 'options.recheckMs'],
    [{ connection: url, prefix: 'a{b}:' }, 'options.prefix'],
    [{ connection: url, waitReplicas: -1 }, 'options.waitReplicas'],
    [{ connection: url, waitReplicas: 1, waitTimeoutMs: 0 }, 'options.waitTimeoutMs'],
    [{}, 'options.client'],
    [{ connection: 42 }, 'options.connection'],
  ])('%o -> %s', (options, parameter) => {
    let thrown: unknown;
    try {
      new RedisProvider(options as never);
    } catch (error) {
      thrown = error;
    }
    expect(InvalidArgumentError.isInstance(thrown)).toBe(true);
    expect((thrown as InvalidArgumentError).parameter).toBe(parameter);
  });

  it('rejects a client in subscriber mode and a lock renewing as often as its TTL', async () => {
    const subscriber = new Redis(server.url);
    await subscriber.subscribe('news');
    try {
      expect(() => new RedisProvider({ client: subscriber })).toThrow(/subscriber mode/);
    } finally {
      subscriber.disconnect();
    }
    expect(() => provider().lock('x', { ttlMs: 1000, renewEveryMs: 1000 })).toThrow(InvalidArgumentError);
  });

  it.each([
    [{ endpoints: [] }, 'options.endpoints'],
    [{ endpoints: ['127.0.0.1:1', '127.0.0.1:2'] }, 'options.endpoints'],
    [{ endpoints: ['127.0.0.1:1', 'localhost:1', '127.0.0.1:3'] }, 'options.endpoints[1]'],
    [{ endpoints: ['127.0.0.1:1', 'http://x:2', '127.0.0.1:3'] }, 'options.endpoints[1]'],
    [{ endpoints: ['127.0.0.1:1'], driftFactor: 1 }, 'options.driftFactor'],
  ])('redlock %o -> %s', (options, parameter) => {
    let thrown: unknown;
    try {
      new RedlockProvider(options as never);
    } catch (error) {
      thrown = error;
    }
    expect((thrown as InvalidArgumentError).parameter).toBe(parameter);
  });

  it.each([
    [{ url: 'redis://127.0.0.1:1', colour: 'red' }, 'config.colour'],
    [{ url: 'ftp://x' }, 'config.url'],
    [{ host: 'h', port: 0 }, 'config.port'],
    [{ url: 'redis://127.0.0.1:1', ttlMs: 0 }, 'config.ttlMs'],
    [{ redlock: { endpoints: ['127.0.0.1:1', 7, '127.0.0.1:3'] } }, 'config.redlock.endpoints[1]'],
    [
      { redlock: { endpoints: ['127.0.0.1:1', '127.0.0.1:1', '127.0.0.1:3'] } },
      'config.redlock.endpoints[1]',
    ],
    [{ redlock: { endpoints: ['127.0.0.1:1', '127.0.0.1:2'] } }, 'config.redlock.endpoints'],
  ])('createProvider %o -> %s', (config, parameter) => {
    let thrown: unknown;
    try {
      createProvider(config as never);
    } catch (error) {
      thrown = error;
    }
    expect((thrown as InvalidArgumentError).parameter).toBe(parameter);
  });
});

describe('createProvider and status', () => {
  it('builds a working provider from a JSON config', async () => {
    const made = createProvider({ url: server.url, prefix: 'cfg:', ttlMs: 5000 });
    providers.push(made);
    expect(made.capabilities).toEqual(redisCapabilities({}));
    expect(made.prefix).toBe('cfg:');
    const lease = await made.lock('cfg').acquire();
    expect(lease.ttlMs).toBe(5000);
    await lease.release();
    const replicated = createProvider({ host: '127.0.0.1', port: server.port, waitReplicas: 1 });
    expect(replicated.capabilities).toEqual(redisCapabilities({ waitReplicas: 1 }));
    expect(replicated.capabilities.durability).toBe('replicated-async');
    await replicated.close();
  });

  it('status: the holder with its token, live waiters in grant order, the last token, keys and the TTL left', async () => {
    const p = provider({ ttlMs: 5000 });
    const name = 'status-shape';
    const keys = lockKeys('lock:', name);
    const lease = await p.lock(name).acquire();
    // A waiter that died long ago (its deadline passed): the next handoff skips it, so status leaves it out.
    await server.command('ZADD', keys.queue, 0, 'ghost');
    await server.command('HSET', keys.deadlines, 'ghost', '1:5000');
    const order: string[] = [];
    const waiters = [0, 1, 2].map(async (index) => {
      const next = await p.lock(name).acquire({ timeoutMs: 10_000 });
      order.push(String(index));
      await next.release();
      return next;
    });
    while ((await p.status(name)).waiterCount < 3) await sleep(5);
    const status = await p.status(name);
    const queue = (await server.command('ZRANGE', keys.queue, 0, -1)) as string[];
    expect(status).toEqual({
      name,
      holders: [{ id: await server.command('GET', keys.lock), token: lease.token }],
      waiters: queue.filter((id) => id !== 'ghost').map((id) => ({ id, token: null })),
      waiterCount: 3,
      lastToken: lease.token,
      details: {
        keys: { lock: keys.lock, fence: keys.fence, queue: keys.queue, deadlines: keys.deadlines },
        readWriteKeys: expect.any(Object),
        semaphoreKeys: expect.any(Object),
        holderTtlMs: expect.any(Number),
        readWriteHolders: 0,
        permitHolders: 0,
        expiredWaiters: 1,
      },
    });
    expect(status.holders[0]!.id).toMatch(/^[A-Za-z0-9_-]{17,}$/);
    expect(status.details!.holderTtlMs).toBeGreaterThan(0);
    expect(status.details!.holderTtlMs).toBeLessThanOrEqual(5000);
    await lease.release();
    const granted = await Promise.all(waiters);
    expect(order).toEqual(['0', '1', '2']);
    expect(granted.map((next) => next.token)).toEqual([1n, 2n, 3n].map((step) => lease.token + step));
    expect(await p.status(name)).toMatchObject({
      holders: [],
      waiters: [],
      waiterCount: 0,
      lastToken: lease.token + 3n,
      details: { holderTtlMs: null, expiredWaiters: 0 },
    });
  });

  it('status lists the first 100 waiters and counts them all', async () => {
    const name = 'status-many';
    const keys = lockKeys('lock:', name);
    const p = provider();
    const lease = await p.lock(name).acquire();
    const alive = `${Date.now() + 60_000}:3000`;
    for (let index = 0; index < 120; index += 1) {
      await server.command('ZADD', keys.queue, index + 1, `w${index}`);
      await server.command('HSET', keys.deadlines, `w${index}`, alive);
    }
    const status = await p.status(name);
    expect(status.waiterCount).toBe(120);
    expect(status.waiters.map((waiter) => waiter.id)).toEqual(
      Array.from({ length: 100 }, (_, index) => `w${index}`),
    );
    await server.command('DEL', keys.queue, keys.deadlines);
    await lease.release();
  });

  it('refuses names with a lone surrogate before any I/O: on the wire two of them would be one key', async () => {
    const party = 'x🎉'.slice(0, 2);
    const grin = 'x😀'.slice(0, 2);
    expect(party).not.toBe(grin);
    // What ioredis would send: UTF-8, where every lone surrogate becomes U+FFFD.
    expect(Buffer.from(lockKeys('lock:', party).lock)).toEqual(Buffer.from(lockKeys('lock:', grin).lock));
    const p = provider();
    for (const name of [party, grin]) {
      expect(() => p.lock(name)).toThrow(InvalidArgumentError);
      await expect(p.status(name)).rejects.toSatisfy(InvalidArgumentError.isInstance);
      await expect(p.leftoverKeys(name)).rejects.toSatisfy(InvalidArgumentError.isInstance);
    }
  });

  it('escapes names: braces stay inside the hash tag and cannot collide with suffixed keys', () => {
    expect(lockKeys('lock:', 'a{b}c').lock).toBe('lock:{a%7Bb%7Dc}');
    expect(lockKeys('lock:', 'x}:q').lock).not.toBe(lockKeys('lock:', 'x').queue);
    expect(lockKeys('lock:', '%7B').lock).toBe('lock:{%257B}');
  });
});

describe('regressions (see docs/fault-matrix.md)', () => {
  it('unlock after expiry keeps the new holder key', async () => {
    const a = provider();
    const b = provider();
    const leaseA = await a.lock('expiry').acquire();
    await server.command('PEXPIRE', lockKeys('lock:', 'expiry').lock, 1);
    await sleep(10);
    const leaseB = await b.lock('expiry').acquire({ timeoutMs: 2000 });
    const holderB = (await b.status('expiry')).holders[0]?.id;
    expect(await leaseA.release()).toBe(false);
    expect(leaseA.signal.aborted).toBe(true);
    expect((await b.status('expiry')).holders[0]?.id).toBe(holderB);
    expect(leaseB.token).toBeGreaterThan(leaseA.token);
    expect(await leaseB.release()).toBe(true);
  });

  it('extend after expiry fails with LockLostError and never recreates the key', async () => {
    const lease = await provider().lock('extend').acquire();
    const key = lockKeys('lock:', 'extend').lock;
    await server.command('DEL', key);
    await expect(lease.extend()).rejects.toSatisfy(LockLostError.isInstance);
    expect(await server.command('EXISTS', key)).toBe(0);
    expect(lease.signal.aborted).toBe(true);
  });

  it('a resent acquire that already succeeded counts as ours: same fence, no second grant, no orphan', async () => {
    const client = new Redis(server.url);
    try {
      const keys = lockKeys('lock:', 'resend');
      const first = await runScript(client, ACQUIRE, keys.all, ['owner-1', 5000, '1', 1000]);
      const resent = await runScript(client, ACQUIRE, keys.all, ['owner-1', 5000, '1', 1000]);
      expect(grantedToken(resent)).toBe(grantedToken(first)); // a number, or text once read back
      expect(await server.command('GET', keys.fence)).toBe(String(first));
      // Another owner is queued once, however often its enqueue is resent.
      for (let i = 0; i < 3; i += 1)
        expect(await runScript(client, ACQUIRE, keys.all, ['owner-2', 5000, '1', 60_000])).toBe(0);
      expect(await server.command('ZCARD', keys.queue)).toBe(1);
      // Release hands over to owner-2; a resent release of owner-1 then finds nothing of its own.
      expect(await runScript(client, RELEASE, keys.all, ['owner-1', '0'])).toBe(2);
      expect(await runScript(client, RELEASE, keys.all, ['owner-1', '0'])).toBe(0);
      expect(await server.command('GET', keys.lock)).toBe('owner-2');
      expect(await runScript(client, RELEASE, keys.all, ['owner-2', '1'])).toBe(1);
      expect(await provider().leftoverKeys('resend')).toEqual([]);
    } finally {
      client.disconnect();
    }
  });

  it('F13: an acquire reply delayed past the command timeout is reported as failed and leaves no orphan after 1xTTL', async () => {
    const proxy = await FaultProxy.start({ targetPort: server.port });
    const slow = new RedisProvider({
      connection: `redis://127.0.0.1:${proxy.port}`,
      ttlMs: 1000,
      commandTimeoutMs: 200,
    });
    try {
      await slow
        .lock('f13')
        .tryAcquire()
        .then((lease) => lease?.release()); // connect and load scripts first
      proxy.setMode('serverToClient', { delayMs: 600 });
      // A short timeoutMs does not cut the first request short (it bounds the wait for a holder): the
      // command timeout does, and that is a backend failure, not a held lock.
      const failed = await slow
        .lock('f13')
        .acquire({ timeoutMs: 100 })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(LockBackendError.isInstance(failed), String(failed)).toBe(true);
      expect((failed as LockBackendError).cause).toBeInstanceOf(CommandTimeoutError);
      await sleep(1000 + 700);
      expect(await provider().leftoverKeys('f13')).toEqual([]);
    } finally {
      proxy.setMode('both', 'pass');
      await slow.close();
      await proxy.close();
    }
  });
});

describe('push handoff', () => {
  it('skips dead waiters and hands the lock to the next live one inside the release script', async () => {
    const p = provider();
    const keys = lockKeys('lock:', 'dead');
    const holder = await p.lock('dead').acquire();
    // A waiter that crashed long ago: its deadline has passed.
    await server.command('ZADD', keys.queue, 1, 'ghost');
    await server.command('HSET', keys.deadlines, 'ghost', '1:3000');
    const live = p.lock('dead').acquire({ timeoutMs: 5000 });
    await sleep(50);
    // The status leaves the dead waiter out (the handoff below skips it), and says it saw one.
    expect(await p.status('dead')).toMatchObject({ waiterCount: 1, details: { expiredWaiters: 1 } });
    await holder.release();
    const lease = await live;
    expect(lease.token).toBe(holder.token + 1n);
    await lease.release();
    expect(await p.leftoverKeys('dead')).toEqual([]);
  });

  it('a waiter that crashed after its last heartbeat stalls the queue for at most one TTL', async () => {
    const p = provider({ ttlMs: 800, recheckMs: 100 });
    const keys = lockKeys('lock:', 'crashed');
    const holder = await p.lock('crashed').acquire();
    await server.command('ZADD', keys.queue, 1, 'crashed-waiter');
    await server.command('HSET', keys.deadlines, 'crashed-waiter', `${Date.now() + 60_000}:800`);
    const live = p.lock('crashed').acquire({ timeoutMs: 5000 });
    await sleep(50);
    await holder.release();
    expect((await p.status('crashed')).holders[0]?.id).toBe('crashed-waiter');
    const lease = await live;
    expect(lease.token).toBe(holder.token + 2n);
    await lease.release();
    expect(await p.leftoverKeys('crashed')).toEqual([]);
  });

  it('an abort racing the handoff leaves no queue entry, list or key behind', async () => {
    const p = provider();
    for (let round = 0; round < 20; round += 1) {
      const holder = await p.lock('race').acquire();
      const controller = new AbortController();
      const waiter = p.lock('race').acquire({ signal: controller.signal });
      await sleep(round % 5);
      const outcomes = await Promise.allSettled([
        round % 2 === 0 ? holder.release() : Promise.resolve(controller.abort(new Error('stop'))),
        round % 2 === 0 ? Promise.resolve(controller.abort(new Error('stop'))) : holder.release(),
        waiter,
      ]);
      const granted = outcomes[2];
      if (granted.status === 'fulfilled') await granted.value.release();
      expect(await p.leftoverKeys('race')).toEqual([]);
    }
  });

  it('a busy lock keeps handing over after the script cache was emptied (SCRIPT FLUSH, as after a restart)', async () => {
    const p = provider({ ttlMs: 60_000, recheckMs: 10_000 });
    const lock = p.lock('flush');
    const holder = await lock.acquire();
    const first = lock.acquire({ timeoutMs: 30_000 }); // queues: the lock now counts as busy
    await sleep(50);
    await server.command('SCRIPT', 'FLUSH');
    await holder.release();
    const second = await first;
    await server.command('SCRIPT', 'FLUSH');
    const third = lock.acquire({ timeoutMs: 30_000 }); // enqueue + BLPOP pipelined; the EVALSHA meets NOSCRIPT
    await sleep(50);
    const releasedAt = performance.now();
    await second.release();
    const lease = await third;
    // Well before the 10 s re-check: the enqueue was retried on the main connection at once.
    expect(performance.now() - releasedAt).toBeLessThan(5000);
    expect(lease.token).toBe(second.token + 1n);
    await lease.release();
    expect(await p.leftoverKeys('flush')).toEqual([]);
  });

  it('a handle that acquires again right after its release keeps its place: BLPOP + release per grant, FIFO, nothing left', async () => {
    // TTL far above the test's run time: a place granted to nobody would hold the lock that long and time out.
    const p = provider({ ttlMs: 60_000 });
    await (await p.lock('warm-up').acquire()).release();
    const name = 'places';
    const loops = 3;
    const rounds = 30;
    const order: number[] = [];
    const before = await commandCalls();
    await Promise.all(
      Array.from({ length: loops }, async (_, index) => {
        const lock = p.lock(name);
        for (let round = 0; round < rounds; round += 1) {
          const lease = await lock.acquire();
          order.push(index);
          await sleep(1);
          await lease.release();
        }
      }),
    );
    const perAcquisition = ((await commandCalls()) - before) / (loops * rounds);
    let changes = 0;
    for (let at = 1; at < order.length; at += 1) if (order[at] !== order[at - 1]) changes += 1;
    console.log(
      'places: commands per acquisition',
      perAcquisition,
      'hand changes',
      changes / (order.length - 1),
    );
    expect(order).toHaveLength(loops * rounds);
    expect(changes / (order.length - 1)).toBeGreaterThanOrEqual(0.8);
    // Enqueue + BLPOP + release without places; the place saves the enqueue of nearly every grant.
    expect(perAcquisition).toBeLessThan(2.6);
    // The last place of each loop went unused: given up, not granted to no one.
    expect(await p.leftoverKeys(name)).toEqual([]);
    expect((await p.status(name)).holders).toEqual([]);
  });

  it('a kept place is given up by tryAcquire, by another TTL, and by close(): the next waiter is not held up', async () => {
    const other = provider({ ttlMs: 60_000 });
    const name = 'places-given-up';
    for (const ending of ['tryAcquire', 'ttl', 'close'] as const) {
      // Its own provider, so close() can end it; TTL far above the test's run time (a place granted to no one
      // would hold the lock that long).
      const own = new RedisProvider({ connection: server.url, ttlMs: 60_000 });
      const looping = own.lock(name);
      const blocker = await other.lock(name).acquire();
      // Queue the loop behind the blocker, and a second waiter behind the loop, so releases hand the lock on.
      const first = looping.acquire();
      while ((await other.status(name)).waiterCount < 1) await sleep(5);
      const waiter = other.lock(name).acquire({ timeoutMs: 20_000 });
      while ((await other.status(name)).waiterCount < 2) await sleep(5);
      await blocker.release();
      // Acquire again right after a release: from now on releases keep a place.
      await (await first).release();
      const againPending = looping.acquire();
      while ((await other.status(name)).waiterCount < 1) await sleep(5);
      const queued = other.lock(name).acquire({ timeoutMs: 20_000 });
      while ((await other.status(name)).waiterCount < 2) await sleep(5);
      await (await waiter).release();
      const again = await againPending;
      await again.release(); // keeps a place behind the queued waiter
      // Sent at once on the provider's connection, so Redis answers before any leave that follows it.
      const queueLength = (own.client as unknown as Redis).zcard(lockKeys('lock:', name).queue);
      let later: Promise<unknown> | undefined;
      if (ending === 'tryAcquire') expect(await looping.tryAcquire()).toBeNull();
      else if (ending === 'ttl') later = looping.acquire({ ttlMs: 30_000, timeoutMs: 20_000 });
      else await own.close();
      const next = await queued;
      await next.release();
      if (later !== undefined) await ((await later) as { release(): Promise<boolean> }).release();
      expect(await queueLength).toBe(1); // the place (the queued waiter was handed the lock); without places: 0
      expect(await other.leftoverKeys(name)).toEqual([]);
      await own.close();
    }
  }, 60_000);

  it('uses a constant number of Redis commands per acquisition with 1, 10 and 100 waiters', async () => {
    const p = provider({ ttlMs: 30_000 });
    // Load the scripts first (an earlier test flushed the script cache): NOSCRIPT retries are not the subject here.
    await (await p.lock('warm-up').acquire()).release();
    await p.status('warm-up');
    const perAcquisition: Record<number, number> = {};
    let statusCalls = 0;
    const status = p.status.bind(p);
    p.status = (name: string) => {
      statusCalls += 1;
      return status(name);
    };
    for (const waiters of [1, 10, 100]) {
      const name = `commands-${waiters}`;
      const holder = await p.lock(name).acquire();
      const before = await commandCalls();
      const queued = Array.from({ length: waiters }, () =>
        p
          .lock(name)
          .acquire({ timeoutMs: 20_000 })
          .then((lease) => lease.release()),
      );
      while ((await p.status(name)).waiterCount < waiters) await sleep(10);
      await holder.release();
      await Promise.all(queued);
      const after = await commandCalls();
      // Per acquisition: the enqueue script, the BLPOP that receives the grant, the release that hands it on.
      // The holder's release and the status polls above are taken off.
      perAcquisition[waiters] = (after - before - 1 - statusCalls) / waiters;
      statusCalls = 0;
    }
    console.log('Redis commands per acquisition (enqueue + BLPOP + release):', perAcquisition);
    for (const waiters of [1, 10, 100]) expect(perAcquisition[waiters]).toBeLessThanOrEqual(3.2);
  });
});

async function commandCalls(): Promise<number> {
  const stats = parseInfo(String(await server.command('INFO', 'commandstats')));
  let calls = 0;
  for (const command of ['evalsha', 'eval', 'blpop', 'wait']) {
    const match = /calls=(\d+)/.exec(stats[`cmdstat_${command}`] ?? '');
    calls += match ? Number(match[1]) : 0;
  }
  return calls;
}
