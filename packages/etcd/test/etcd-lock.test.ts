import { getEventListeners } from 'node:events';
import { InvalidArgumentError, LockLostError, LockTimeoutError, ProviderClosedError } from '@lock/core';
import { type EtcdCluster, settle, sleep, startEtcd, uniqueName } from '@lock/testkit';
import { Etcd3, EtcdPermissionDeniedError, GRPCInvalidArgumentError, GRPCUnavailableError } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createProvider,
  EtcdLockProvider,
  etcdClientOptions,
  fenceCompare,
  guardedTxn,
  lockKey,
} from '../src/index.js';
import { isRetryableError } from '../src/retryable-error.js';
import { Child, etcdctl, eventually, fixture, queueLength } from './helpers.js';

let cluster: EtcdCluster;
let admin: Etcd3;
const providers: EtcdLockProvider[] = [];

function provider(options: { ttlMs?: number; prefix?: string } = {}): EtcdLockProvider {
  const created = new EtcdLockProvider({
    client: admin,
    ttlMs: options.ttlMs ?? 10_000,
    prefix: options.prefix,
  });
  providers.push(created);
  return created;
}

beforeAll(async () => {
  cluster = await startEtcd({ members: 1 });
  admin = new Etcd3(etcdClientOptions(cluster.endpoints));
});
afterAll(async () => {
  await Promise.allSettled(providers.map((created) => created.close()));
  admin?.close();
  await cluster?.close();
});

describe('configuration', () => {
  it('rejects bad config before any I/O, naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [undefined, 'config'],
      [{}, 'config.endpoints'],
      [{ endpoints: [] }, 'config.endpoints'],
      [{ endpoints: 'http://127.0.0.1:2379' }, 'config.endpoints'],
      [{ endpoints: ['http://127.0.0.1:2379', 'localhost'] }, 'config.endpoints[1]'],
      [{ endpoints: ['http://127.0.0.1:2379', 'http://127.0.0.1:2379'] }, 'config.endpoints[1]'],
      [{ endpoints: ['http://127.0.0.1:99999'] }, 'config.endpoints[0]'],
      [{ endpoints: ['http://127.0.0.1:2379'], ttlMs: 1500 }, 'config.ttlMs'],
      [{ endpoints: ['http://127.0.0.1:2379'], ttlMs: 500 }, 'config.ttlMs'],
      // etcd would raise a 1 s lease to 2 s without saying so.
      [{ endpoints: ['http://127.0.0.1:2379'], ttlMs: 1000 }, 'config.ttlMs'],
      [
        { endpoints: ['http://127.0.0.1:2379'], waitOutRevokedHolders: 'yes' },
        'config.waitOutRevokedHolders',
      ],
      [{ endpoints: ['http://127.0.0.1:2379'], ttlMs: '10000' }, 'config.ttlMs'],
      [{ endpoints: ['http://127.0.0.1:2379'], ttlMs: Number.NaN }, 'config.ttlMs'],
      [{ endpoints: ['http://127.0.0.1:2379'], prefix: 7 }, 'config.prefix'],
      [{ endpoints: ['http://127.0.0.1:2379'], requestTimeoutMs: 0 }, 'config.requestTimeoutMs'],
      [{ endpoints: ['http://127.0.0.1:2379'], ttl: 10 }, 'config.ttl'],
      [{ endpoints: ['http://127.0.0.1:2379'], client: admin }, 'config.client'],
    ];
    for (const [config, parameter] of cases) {
      let caught: unknown;
      try {
        createProvider(config as never);
      } catch (error) {
        caught = error;
      }
      expect(InvalidArgumentError.isInstance(caught), JSON.stringify(config ?? null)).toBe(true);
      expect((caught as InvalidArgumentError).parameter).toBe(parameter);
    }
    expect(() => new EtcdLockProvider({ client: admin, endpoints: ['http://127.0.0.1:2379'] })).toThrow(
      /either/,
    );
  });

  it('rejects TTLs etcd would truncate, per lock and per acquisition', async () => {
    const created = provider();
    const lockError = await settle(() => created.lock(uniqueName('ttl'), { ttlMs: 2_500 }));
    expect((lockError.error as InvalidArgumentError).parameter).toBe('options.ttlMs');
    const acquireError = await settle(created.lock(uniqueName('ttl')).acquire({ ttlMs: 1_200 }));
    expect((acquireError.error as InvalidArgumentError).parameter).toBe('options.ttlMs');
  });

  it("rejects a per-lock or per-acquire ttlMs other than the provider's session TTL, naming it", async () => {
    const created = provider({ ttlMs: 10_000 });
    const lockError = await settle(() => created.lock(uniqueName('ttl'), { ttlMs: 5_000 }));
    expect(InvalidArgumentError.isInstance(lockError.error)).toBe(true);
    expect((lockError.error as InvalidArgumentError).parameter).toBe('options.ttlMs');
    expect((lockError.error as InvalidArgumentError).value).toBe(5_000);
    expect((lockError.error as Error).message).toContain("session's TTL (10000 ms)");
    const acquireError = await settle(created.lock(uniqueName('ttl')).acquire({ ttlMs: 20_000 }));
    expect((acquireError.error as InvalidArgumentError).parameter).toBe('options.ttlMs');
    expect((acquireError.error as Error).message).toContain("session's TTL (10000 ms)");
    // The provider's own TTL, said again, is accepted; and only one session lease was ever opened.
    const lease = await created.lock(uniqueName('ttl'), { ttlMs: 10_000 }).acquire({ ttlMs: 10_000 });
    await lease.release();
    expect(created.stats.sessionsOpened).toBe(1);
  });

  it('grants the session TTL asked for, and reports it', async () => {
    const created = provider({ ttlMs: 2_000 });
    expect(created.sessionTtlMs).toBeUndefined();
    expect(created.capabilities.ttl).toEqual({
      setBy: 'session',
      minMs: 2_000,
      stepMs: 1_000,
      sessionTtlMs: 2_000,
    });
    const lease = await created.lock(uniqueName('granted')).acquire();
    expect(created.sessionTtlMs).toBe(2_000);
    expect(lease.ttlMs).toBe(2_000);
    await lease.release();
  });
});

describe('keys', () => {
  it('uses etcd mutex keys: <name>/<lease hex> under the session lease, token = create revision', async () => {
    const created = provider();
    const name = uniqueName('keys');
    const lease = await created.lock(name).acquire();
    const leaseId = (await created.sessionLeaseId()) as bigint;
    expect(lockKey(lease)).toBe(`${name}/${leaseId.toString(16)}`);
    const stored = await admin.kv.range({ key: Buffer.from(lockKey(lease)) });
    expect(BigInt(stored.kvs[0]!.create_revision)).toBe(lease.token);
    expect(BigInt(stored.kvs[0]!.lease)).toBe(leaseId);
    const status = await created.status(name);
    expect(status.owner).toEqual({ key: lockKey(lease), token: lease.token, leaseId });
    expect(status.waiters).toEqual([]);
    await lease.release();
    expect((await created.status(name)).owner).toBeNull();
  });

  it('never lets "lock" and "lock2" (or "a" and "a/b") share keys', async () => {
    const first = provider();
    const second = provider();
    const base = uniqueName('prefix');
    const held = await first.lock(base).acquire();
    for (const other of [`${base}2`, `${base}/b`, `${base}%2F`]) {
      const lease = await second.lock(other).tryAcquire();
      expect(lease, other).not.toBeNull();
      expect(lockKey(lease!).startsWith(`${base}/`), other).toBe(false);
      await lease!.release();
    }
    await held.release();
  });

  it('separates providers with different prefixes', async () => {
    const name = uniqueName('ns');
    const one = provider({ prefix: 'team-a' });
    const two = provider({ prefix: 'team-a2/' });
    const a = await one.lock(name).acquire();
    const b = await two.lock(name).tryAcquire();
    expect(lockKey(a).startsWith('team-a/')).toBe(true);
    expect(b).not.toBeNull();
    await Promise.all([a.release(), b!.release()]);
  });
});

describe('the algorithm across sessions', () => {
  it('tryAcquire deletes its key when it is not the owner', async () => {
    const name = uniqueName('try');
    const holder = await provider().lock(name).acquire();
    const other = provider();
    expect(await other.lock(name).tryAcquire()).toBeNull();
    expect(await queueLength(other, name)).toBe(1);
    await holder.release();
  });

  it('a timed-out or aborted waiter deletes its key', async () => {
    const name = uniqueName('timeout');
    const holder = await provider().lock(name).acquire();
    const other = provider();
    const timedOut = await settle(other.lock(name).acquire({ timeoutMs: 300 }));
    expect(LockTimeoutError.isInstance(timedOut.error)).toBe(true);
    expect(await queueLength(other, name)).toBe(1);
    const controller = new AbortController();
    const waiting = settle(other.lock(name).acquire({ signal: controller.signal }));
    await eventually(async () => (await queueLength(other, name)) === 2, 10_000, 'the waiter to queue');
    controller.abort(new Error('cancelled'));
    expect(((await waiting).error as Error).message).toBe('cancelled');
    expect(await queueLength(other, name)).toBe(1);
    await holder.release();
  });

  it('a wait leaves no listener on the caller signal or the provider close signal once it ends', async () => {
    const name = uniqueName('listeners');
    const holderProvider = provider();
    const waiterProvider = provider();
    const closeSignal = (waiterProvider as unknown as { closeController: AbortController }).closeController
      .signal;
    const callerSignal = new AbortController().signal;
    for (let round = 0; round < 5; round++) {
      const holder = await holderProvider.lock(name).acquire();
      // Two waiters: one queued in etcd, one behind it in the provider's local turn.
      const first = settle(waiterProvider.lock(name).acquire({ signal: callerSignal }));
      const second = settle(waiterProvider.lock(name).acquire({ signal: callerSignal }));
      await eventually(
        async () => (await queueLength(holderProvider, name)) === 2,
        10_000,
        'the waiter to queue',
      );
      expect(getEventListeners(closeSignal, 'abort').length).toBeGreaterThan(0);
      await holder.release();
      await (await first).value!.release();
      await (await second).value!.release();
      expect(getEventListeners(callerSignal, 'abort')).toHaveLength(0);
      expect(getEventListeners(closeSignal, 'abort')).toHaveLength(0);
    }
    const timedOut = await settle(
      (async () => {
        const holder = await holderProvider.lock(name).acquire();
        try {
          return await waiterProvider.lock(name).acquire({ timeoutMs: 200, signal: callerSignal });
        } finally {
          await holder.release();
        }
      })(),
    );
    expect(LockTimeoutError.isInstance(timedOut.error)).toBe(true);
    expect(getEventListeners(callerSignal, 'abort')).toHaveLength(0);
    expect(getEventListeners(closeSignal, 'abort')).toHaveLength(0);
  });

  it('a waiter retries only what may succeed again: unreachable yes, refused no', () => {
    expect(isRetryableError(new GRPCUnavailableError('connect ECONNREFUSED'))).toBe(true);
    expect(isRetryableError(new Error('Breaker is open'))).toBe(true);
    expect(isRetryableError(new EtcdPermissionDeniedError('etcdserver: permission denied'))).toBe(false);
    expect(isRetryableError(new GRPCInvalidArgumentError('bad range'))).toBe(false);
    expect(isRetryableError(Object.assign(new Error('denied'), { code: 7 }))).toBe(false);
  });

  it('keeps a counter exact with 8 sessions contending, tokens strictly increasing, queue in order', async () => {
    const name = uniqueName('sessions');
    const sessions = Array.from({ length: 8 }, () => provider());
    let value = 0;
    let inside = 0;
    let maxInside = 0;
    const tokens: bigint[] = [];
    await Promise.all(
      sessions.map(async (created) => {
        for (let round = 0; round < 5; round++) {
          const lease = await created.lock(name).acquire();
          inside += 1;
          maxInside = Math.max(maxInside, inside);
          tokens.push(lease.token);
          const read = value;
          await sleep(Math.random() * 3);
          value = read + 1;
          inside -= 1;
          await lease.release();
        }
      }),
    );
    expect(maxInside).toBe(1);
    expect(value).toBe(40);
    expect(tokens.every((token, index) => index === 0 || token > tokens[index - 1]!)).toBe(true);
    expect(await queueLength(sessions[0]!, name)).toBe(0);
  });

  it('status lists the owner and the waiters in grant order', async () => {
    const name = uniqueName('status');
    const owner = await provider().lock(name).acquire();
    const waiters = [provider(), provider(), provider()];
    const pending = [];
    for (const created of waiters) {
      pending.push(created.lock(name).acquire());
      await eventually(
        async () => (await queueLength(created, name)) === pending.length + 1,
        10_000,
        'queueing',
      );
    }
    const status = await waiters[0]!.status(name);
    expect(status.owner?.token).toBe(owner.token);
    expect(status.waiters).toHaveLength(3);
    const waiterTokens = status.waiters.map((entry) => entry.token);
    expect([...waiterTokens].sort((a, b) => (a < b ? -1 : 1))).toEqual(waiterTokens);
    await owner.release();
    // Granted in queue order: each waiter gets the lock once the one before it releases.
    for (const waiting of pending) await (await waiting).release();
  });
});

describe('lifecycle', () => {
  it('maxHoldMs aborts the lease and deletes its key, so the next waiter gets the lock', async () => {
    const name = uniqueName('max-hold');
    const lease = await provider().lock(name, { maxHoldMs: 300 }).acquire();
    const other = provider();
    const next = await other.lock(name).acquire({ timeoutMs: 10_000 });
    expect(LockLostError.isInstance(lease.signal.reason)).toBe(true);
    expect((lease.signal.reason as LockLostError).reason).toBe('max-hold');
    expect(next.token > lease.token).toBe(true);
    expect(await lease.release()).toBe(false);
    expect(next.held).toBe(true);
    await next.release();
  });

  it('close() rejects a queued waiter with ProviderClosedError and leaves no key behind', async () => {
    const name = uniqueName('close-waiting');
    const holderProvider = provider();
    const holder = await holderProvider.lock(name).acquire();
    const closing = new EtcdLockProvider({ client: admin });
    const waiting = settle(closing.lock(name).acquire());
    await eventually(
      async () => (await queueLength(holderProvider, name)) === 2,
      10_000,
      'the waiter to queue',
    );
    // A second acquisition of the same name waits for the provider's local turn instead.
    const waitingLocally = settle(closing.lock(name).acquire());
    await sleep(50);
    await closing.close();
    for (const outcome of [await waiting, await waitingLocally]) {
      expect(ProviderClosedError.isInstance(outcome.error)).toBe(true);
      expect((outcome.error as ProviderClosedError).lockName).toBe(name);
      expect((outcome.error as Error).message).toContain(name);
    }
    expect(await queueLength(holderProvider, name)).toBe(1);
    expect(holder.held).toBe(true);
    await holder.release();
  });
});

describe('owner ends without close (etcd #17470)', () => {
  it('the process still exits, and its session lease then expires instead of being renewed', {
    timeout: 60_000,
  }, async () => {
    const child = new Child(process.execPath, [
      fixture('no-close.mjs'),
      cluster.endpoints.join(','),
      uniqueName('no-close'),
    ]);
    try {
      const leaseId = await child.line();
      const exited = await Promise.race([child.exited, sleep(15_000).then(() => 'still running' as const)]);
      expect(exited).not.toBe('still running');
      await eventually(
        async () => Number((await admin.leaseClient.leaseTimeToLive({ ID: leaseId })).TTL) === -1,
        10_000,
        'the abandoned session lease to expire',
      );
    } finally {
      await child.stop();
    }
  });
});

describe('fencing helpers', () => {
  it('guardedTxn applies writes only while the lease still holds the lock', async () => {
    const name = uniqueName('fence');
    const created = provider();
    const lease = await created.lock(name).acquire();
    const target = `fenced/${name}`;
    const applied = await guardedTxn(admin, lease).then(admin.put(target).value('1')).commit();
    expect(applied.succeeded).toBe(true);
    const raw = await admin.kv.txn({ compare: [fenceCompare(lease)], success: [] });
    expect(raw.succeeded).toBe(true);
    await lease.release();
    const next = await provider().lock(name).acquire();
    // The old holder's guard now fails: etcd refuses the stale write.
    const stale = await guardedTxn(admin, lease).then(admin.put(target).value('stale')).commit();
    expect(stale.succeeded).toBe(false);
    expect(await admin.get(target).string()).toBe('1');
    await next.release();
    expect(() => lockKey({ token: 1n } as never)).toThrow(InvalidArgumentError);
  });
});

describe('session loss while queued (etcd #11456, #19597)', () => {
  it('a waiter whose lease is revoked while queued rejects, even when woken by the release', async () => {
    const name = uniqueName('revoked-waiter');
    const holder = await provider().lock(name).acquire();
    const waiterProvider = provider();
    const waiting = settle(waiterProvider.lock(name).acquire());
    await eventually(
      async () => (await queueLength(waiterProvider, name)) === 2,
      10_000,
      'the waiter to queue',
    );
    const leaseId = (await waiterProvider.sessionLeaseId()) as bigint;
    await admin.leaseClient.leaseRevoke({ ID: leaseId.toString() });
    // Release at once, before the waiter's next keepalive can notice: the wake-up path must check its key.
    await holder.release();
    const outcome = await waiting;
    expect(LockLostError.isInstance(outcome.error)).toBe(true);
    expect((outcome.error as LockLostError).reason).toBe('session-lost');
    expect(outcome.value).toBeUndefined();
    // A later acquisition opens a new session and works.
    const again = await waiterProvider.lock(name).acquire();
    expect((await waiterProvider.sessionLeaseId()) !== leaseId).toBe(true);
    await again.release();
  });

  it('a waiter whose lease is revoked while the holder keeps the lock rejects by its keepalive', async () => {
    const name = uniqueName('revoked-waiter-2');
    const holder = await provider().lock(name).acquire();
    const waiterProvider = provider({ ttlMs: 3_000 });
    const waiting = settle(waiterProvider.lock(name).acquire());
    await eventually(
      async () => (await queueLength(waiterProvider, name)) === 2,
      10_000,
      'the waiter to queue',
    );
    const leaseId = (await waiterProvider.sessionLeaseId()) as bigint;
    await admin.leaseClient.leaseRevoke({ ID: leaseId.toString() });
    const outcome = await waiting;
    expect(LockLostError.isInstance(outcome.error)).toBe(true);
    expect(holder.held).toBe(true);
    await holder.release();
  });
});

describe('no herd', () => {
  it('with 20 waiters, each release wakes exactly one of them', { timeout: 60_000 }, async () => {
    const name = uniqueName('herd');
    const holderProvider = provider();
    const holder = await holderProvider.lock(name).acquire();
    const waiters = Array.from({ length: 20 }, () => provider());
    const leases = waiters.map((created) => created.lock(name).acquire());
    await eventually(
      async () => (await queueLength(holderProvider, name)) === 21,
      20_000,
      '20 waiters to queue',
    );
    // Let every waiter's watch be established before counting.
    await sleep(300);
    const events = () => waiters.reduce((sum, created) => sum + created.stats.watchEvents, 0);
    // Every wake-up, whether by the watch event or (rarely) by the fallback read.
    const wakeups = () =>
      waiters.reduce((sum, created) => sum + created.stats.wakeups + created.stats.fallbackWakeups, 0);
    const before = { events: events(), wakeups: wakeups() };
    // The broken variant, for contrast: 20 waiters watching the whole prefix (a parent watch) all wake.
    let herdEvents = 0;
    const prefixWatchers = await Promise.all(waiters.map(() => admin.watch().prefix(`${name}/`).create()));
    for (const watcher of prefixWatchers) watcher.on('delete', () => (herdEvents += 1));
    await holder.release();
    const first = await Promise.race(
      leases.map((pending, index) => pending.then((lease) => ({ lease, index }))),
    );
    await sleep(300);
    expect(wakeups() - before.wakeups).toBe(1);
    expect(events() - before.events).toBeLessThanOrEqual(1);
    expect(waiters[first.index]!.stats.wakeups + waiters[first.index]!.stats.fallbackWakeups).toBe(1);
    expect(herdEvents).toBe(20);
    await Promise.all(prefixWatchers.map((watcher) => watcher.cancel()));
    // The rest of the chain: one wake-up per release, 20 in all.
    await first.lease.release();
    // Each waiter releases as soon as it is granted, so the chain runs in grant order.
    await Promise.all(
      leases.map((pending, index) =>
        index === first.index ? undefined : pending.then((lease) => lease.release()),
      ),
    );
    expect(wakeups() - before.wakeups).toBe(20);
    expect(events() - before.events).toBeLessThanOrEqual(20);
  });
});

describe('crashed holder', () => {
  it('after kill -9 of the holder, the next waiter gets the lock within the session TTL plus a second', {
    timeout: 60_000,
  }, async () => {
    const name = uniqueName('kill9');
    const holder = new Child(process.execPath, [
      fixture('holder.mjs'),
      cluster.endpoints.join(','),
      name,
      '3000',
    ]);
    try {
      const held = JSON.parse(await holder.line()) as { token: string };
      const waiterProvider = provider();
      const waiting = waiterProvider.lock(name).acquire();
      await eventually(
        async () => (await queueLength(waiterProvider, name)) === 2,
        10_000,
        'the waiter to queue',
      );
      const killedAt = performance.now();
      holder.signal('SIGKILL');
      const lease = await waiting;
      const waitedMs = performance.now() - killedAt;
      expect(lease.token > BigInt(held.token)).toBe(true);
      expect(waitedMs).toBeLessThanOrEqual(3_000 + 1_000);
      await lease.release();
    } finally {
      await holder.stop();
    }
  });
});

describe('interop with etcdctl lock', () => {
  it('etcdctl holds: this package waits, and gets the lock once etcdctl lets go', async () => {
    const name = uniqueName('ctl-holds');
    const ctl = etcdctl(cluster.endpoints, ['lock', '--ttl=5', name]);
    try {
      const ctlKey = await ctl.line((line) => line.startsWith(`${name}/`));
      const created = provider();
      expect(await created.lock(name).tryAcquire()).toBeNull();
      const timedOut = await settle(created.lock(name).acquire({ timeoutMs: 300 }));
      expect(LockTimeoutError.isInstance(timedOut.error)).toBe(true);
      const waiting = created.lock(name).acquire();
      await eventually(async () => (await queueLength(created, name)) === 2, 10_000, 'our waiter to queue');
      const status = await created.status(name);
      expect(status.owner?.key).toBe(ctlKey);
      // etcdctl closes its session (revoking the lease) on SIGINT.
      ctl.signal('SIGINT');
      const lease = await waiting;
      expect(lease.token > (status.owner?.token ?? 0n)).toBe(true);
      await lease.release();
    } finally {
      await ctl.stop();
    }
  });

  it('this package holds: etcdctl lock waits until release, then holds and excludes us', async () => {
    const name = uniqueName('we-hold');
    const created = provider();
    const lease = await created.lock(name).acquire();
    const ctl = etcdctl(cluster.endpoints, [
      'lock',
      '--ttl=5',
      name,
      '--',
      'sh',
      '-c',
      'echo got-it; sleep 2',
    ]);
    try {
      await eventually(async () => (await queueLength(created, name)) === 2, 10_000, 'etcdctl to queue');
      await sleep(500);
      expect(ctl.output).not.toContain('got-it');
      await lease.release();
      await ctl.line((line) => line.includes('got-it'));
      expect(await created.lock(name).tryAcquire()).toBeNull();
      const waiting = created.lock(name).acquire();
      await eventually(async () => (await queueLength(created, name)) === 2, 10_000, 'our waiter to queue');
      // etcdctl unlocks when its command ends.
      const next = await waiting;
      expect((await ctl.exited).code).toBe(0);
      await next.release();
    } finally {
      await ctl.stop();
    }
  });
});
