import { getEventListeners } from 'node:events';
import { InvalidArgumentError, LockLostError, LockTimeoutError, ProviderClosedError } from '@lock/core';
import { settle, sleep, uniqueName } from '@lock/testkit';
import { EtcdPermissionDeniedError, GRPCInvalidArgumentError, GRPCUnavailableError } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { EtcdProvider, fenceCompare, guardedTxn, lockKey } from '../src/index.js';
import { isRetryableError } from '../src/internal.js';
import { eventually, queueLength, useEtcd } from './helpers.js';

const etcd = useEtcd();

describe('configuration', () => {
  it('rejects TTLs etcd would truncate, per lock and per acquisition', async () => {
    const created = etcd.provider();
    const lockError = await settle(() => created.lock(uniqueName('ttl'), { ttlMs: 2_500 }));
    expect((lockError.error as InvalidArgumentError).parameter).toBe('options.ttlMs');
    const acquireError = await settle(created.lock(uniqueName('ttl')).acquire({ ttlMs: 1_200 }));
    expect((acquireError.error as InvalidArgumentError).parameter).toBe('options.ttlMs');
  });

  it("rejects a per-lock or per-acquire ttlMs other than the provider's session TTL, naming it", async () => {
    const created = etcd.provider({ ttlMs: 10_000 });
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
    const created = etcd.provider({ ttlMs: 2_000 });
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
    const created = etcd.provider();
    const name = uniqueName('keys');
    const lease = await created.lock(name).acquire();
    const leaseId = (await created.sessionLeaseId()) as bigint;
    expect(lockKey(lease)).toBe(`${name}/${leaseId.toString(16)}`);
    const stored = await etcd.admin.kv.range({ key: Buffer.from(lockKey(lease)) });
    expect(BigInt(stored.kvs[0]!.create_revision)).toBe(lease.token);
    expect(BigInt(stored.kvs[0]!.lease)).toBe(leaseId);
    const status = await created.status(name);
    expect(status.holders).toEqual([{ id: lockKey(lease), token: lease.token, mode: 'exclusive' }]);
    expect(status.waiters).toEqual([]);
    expect(status.waiterCount).toBe(0);
    expect(status.lastToken).toBeNull();
    expect(status.details.keyPrefix).toBe(`${name}/`);
    expect(status.details.leases).toEqual({ [lockKey(lease)]: leaseId.toString(16) });
    await lease.release();
    expect((await created.status(name)).holders).toEqual([]);
  });

  it('never lets "lock" and "lock2" (or "a" and "a/b") share keys', async () => {
    const first = etcd.provider();
    const second = etcd.provider();
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
    const one = etcd.provider({ prefix: 'team-a' });
    const two = etcd.provider({ prefix: 'team-a2/' });
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
    const holder = await etcd.provider().lock(name).acquire();
    const other = etcd.provider();
    expect(await other.lock(name).tryAcquire()).toBeNull();
    expect(await queueLength(other, name)).toBe(1);
    await holder.release();
  });

  it('a timed-out or aborted waiter deletes its key', async () => {
    const name = uniqueName('timeout');
    const holder = await etcd.provider().lock(name).acquire();
    const other = etcd.provider();
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
    const holderProvider = etcd.provider();
    const waiterProvider = etcd.provider();
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
    const sessions = Array.from({ length: 8 }, () => etcd.provider());
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
    const owner = await etcd.provider().lock(name).acquire();
    const waiters = [etcd.provider(), etcd.provider(), etcd.provider()];
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
    expect(status.holders[0]?.token).toBe(owner.token);
    expect(status.waiters).toHaveLength(3);
    expect(status.waiterCount).toBe(3);
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
    const lease = await etcd.provider().lock(name, { maxHoldMs: 300 }).acquire();
    const other = etcd.provider();
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
    const holderProvider = etcd.provider();
    const holder = await holderProvider.lock(name).acquire();
    const closing = new EtcdProvider({ client: etcd.admin });
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

describe('fencing helpers', () => {
  it('guardedTxn applies writes only while the lease still holds the lock', async () => {
    const name = uniqueName('fence');
    const created = etcd.provider();
    const lease = await created.lock(name).acquire();
    const target = `fenced/${name}`;
    const applied = await guardedTxn(etcd.admin, lease).then(etcd.admin.put(target).value('1')).commit();
    expect(applied.succeeded).toBe(true);
    const raw = await etcd.admin.kv.txn({ compare: [fenceCompare(lease)], success: [] });
    expect(raw.succeeded).toBe(true);
    await lease.release();
    const next = await etcd.provider().lock(name).acquire();
    // The old holder's guard now fails: etcd refuses the stale write.
    const stale = await guardedTxn(etcd.admin, lease).then(etcd.admin.put(target).value('stale')).commit();
    expect(stale.succeeded).toBe(false);
    expect(await etcd.admin.get(target).string()).toBe('1');
    await next.release();
    expect(() => lockKey({ token: 1n } as never)).toThrow(InvalidArgumentError);
  });
});
