import { LockBackendError } from '@lock/core';
import { freePort } from '@lock/testkit';
import { describe, expect, it } from 'vitest';
import { eventually, expireProviderSession, grantOf, lockNodes, useZooKeeper } from './support.js';

const zk = useZooKeeper();

describe('tokens and sessions', () => {
  it('tokens (czxid) keep increasing across a parent delete and recreate, while sequence suffixes restart', async () => {
    const name = zk.uniqueName('recreate');
    const lock = zk.provider().lock(name);
    const first = await lock.acquire();
    const firstNode = grantOf(first).path.slice(lock.path.length + 1);
    await first.release();
    // The empty container parent is reaped by the server (checkIntervalMs 500 in these tests).
    await eventually(async () => (await zk.admin.exists(lock.path)) === null, 20_000, 100);
    const second = await lock.acquire();
    const secondNode = grantOf(second).path.slice(lock.path.length + 1);
    await second.release();
    expect(firstNode.slice(-10)).toBe(secondNode.slice(-10));
    expect(second.token).toBeGreaterThan(first.token);
  });

  it('a waiter whose session expires is rejected, and the next acquisition uses a new session', async () => {
    const name = zk.uniqueName('waiter-expired');
    const holder = await zk.provider().lock(name).acquire();
    const waiterProvider = zk.provider();
    // Observed from the start: it rejects while the session is being expired.
    const waiting = waiterProvider
      .lock(name)
      .acquire({ timeoutMs: 30_000 })
      .catch((caught: unknown) => caught);
    await eventually(async () => (await lockNodes(zk.admin, waiterProvider.parentPath(name))).length === 2);
    await expireProviderSession(waiterProvider, zk.servers.connectionString);
    const error = await waiting;
    expect(LockBackendError.isInstance(error)).toBe(true);
    expect(await lockNodes(zk.admin, waiterProvider.parentPath(name))).toHaveLength(1);
    await holder.release();
    const lease = await waiterProvider.lock(name).acquire({ timeoutMs: 10_000 });
    expect(waiterProvider.sessionCount).toBe(2);
    await lease.release();
  });

  it('status reports the holder, its token and the waiters in order', async () => {
    const name = zk.uniqueName('status');
    const owner = zk.provider();
    const lock = owner.lock(name);
    expect(await owner.status(name)).toMatchObject({
      holders: [],
      waiters: [],
      waiterCount: 0,
      lastToken: null,
    });
    const lease = await lock.acquire();
    const waiting = [lock.acquire(), lock.acquire()];
    await eventually(async () => (await lockNodes(zk.admin, lock.path)).length === 3);
    const status = await owner.status(name);
    const nodes = await lockNodes(zk.admin, lock.path);
    expect(status.details.path).toBe(lock.path);
    expect(status.holders).toEqual([
      { id: nodes[0], token: lease.token, mode: 'exclusive', ageMs: expect.any(Number) },
    ]);
    expect(status.details.sessions[nodes[0]!]).toBe(owner.sessionId);
    expect(status.waiters.map((waiter) => waiter.id)).toEqual(nodes.slice(1));
    expect(status.waiterCount).toBe(2);
    await lease.release();
    for (const next of waiting) await (await next).release();
  });
});

describe('ages (node times on the server, against this clock)', () => {
  it("a holder's and a waiter's age grow between two reads; the waiter, queued later, is younger", async () => {
    const name = zk.uniqueName('ages');
    const owner = zk.provider();
    const lock = owner.lock(name);
    const lease = await lock.acquire();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const waiting = lock.acquire();
    await eventually(async () => (await lockNodes(zk.admin, lock.path)).length === 2);
    const first = await owner.status(name);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await owner.status(name);
    const [holderBefore, holderAfter] = [first.holders[0]!, second.holders[0]!];
    const [waiterBefore, waiterAfter] = [first.waiters[0]!, second.waiters[0]!];
    expect(holderAfter.token).toBe(lease.token);
    // Both reads subtract the same server stamp from this process's clock: the difference is the time slept
    // (20 ms of slack for timer rounding).
    expect(holderAfter.ageMs! - holderBefore.ageMs!).toBeGreaterThanOrEqual(280);
    expect(waiterAfter.ageMs! - waiterBefore.ageMs!).toBeGreaterThanOrEqual(280);
    // Stamped 200 ms apart by the same server clock (less slack for the server's own rounding).
    expect(holderAfter.ageMs! - waiterAfter.ageMs!).toBeGreaterThanOrEqual(180);
    await lease.release();
    await (await waiting).release();
  });
});

describe('describe()', () => {
  it("names each server's version and role, on connections of its own (no session is opened)", async () => {
    const provider = zk.provider();
    const described = await provider.describe();
    const [server] = zk.servers.servers;
    const version = /^Zookeeper version: ([^,\s]+)/m.exec(await server!.fourLetter('srvr'))?.[1];
    expect(version).toMatch(/^3\./);
    expect(described.server).toBe(`ZooKeeper ${version} (standalone)`);
    expect(described.details.servers).toEqual([
      { address: zk.servers.connectionString, reached: true, version, mode: 'standalone' },
    ]);
    expect(described.warnings).toEqual([]);
    expect(described.details.requestedSessionTimeoutMs).toBe(4_000);
    expect(described.details.negotiatedSessionTimeoutMs).toBeUndefined();
    expect(provider.sessionCount).toBe(0);
  });

  it('warns about a server that cannot be reached, and rejects when none can', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const partly = await zk.provider({}, `${zk.servers.connectionString},${closed}`).describe();
    expect(partly.server).toMatch(/^ZooKeeper 3\.\S+ \(2 servers: standalone, unknown\)$/);
    expect(partly.warnings).toEqual([
      expect.stringMatching(new RegExp(`^ZooKeeper at ${closed} did not describe itself: .*ECONNREFUSED`)),
    ]);
    const outcome = await zk
      .provider({}, closed)
      .describe()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(LockBackendError.isInstance(outcome), String(outcome)).toBe(true);
  });
});
