import { LockLostError } from '@lock/core';
import { settle, sleep, uniqueName } from '@lock/testkit';
import { describe, expect, it } from 'vitest';
import type { EtcdProvider } from '../src/index.js';
import { Child, eventually, fixture, queueLength, useEtcd } from './helpers.js';

const etcd = useEtcd();

describe('owner ends without close (etcd #17470)', () => {
  it('the process still exits, and its session lease then expires instead of being renewed', {
    timeout: 60_000,
  }, async () => {
    const child = new Child(process.execPath, [
      fixture('no-close.mjs'),
      etcd.cluster.endpoints.join(','),
      uniqueName('no-close'),
    ]);
    try {
      const leaseId = await child.line();
      const exited = await Promise.race([child.exited, sleep(15_000).then(() => 'still running' as const)]);
      expect(exited).not.toBe('still running');
      await eventually(
        async () => Number((await etcd.admin.leaseClient.leaseTimeToLive({ ID: leaseId })).TTL) === -1,
        10_000,
        'the abandoned session lease to expire',
      );
    } finally {
      await child.stop();
    }
  });
});

describe('session loss while queued (etcd #11456, #19597)', () => {
  it('a waiter whose lease is revoked while queued rejects, even when woken by the release', async () => {
    const name = uniqueName('revoked-waiter');
    const waiterProvider = etcd.provider();
    const { holder, waiting, leaseId } = await queueAndRevoke(name, waiterProvider);
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
    const { holder, waiting } = await queueAndRevoke(
      uniqueName('revoked-waiter-2'),
      etcd.provider({ ttlMs: 3_000 }),
    );
    const outcome = await waiting;
    expect(LockLostError.isInstance(outcome.error)).toBe(true);
    expect(holder.held).toBe(true);
    await holder.release();
  });
});

describe('crashed holder', () => {
  it('after kill -9 of the holder, the next waiter gets the lock within the session TTL plus a second', {
    timeout: 60_000,
  }, async () => {
    const name = uniqueName('kill9');
    const holder = new Child(process.execPath, [
      fixture('holder.mjs'),
      etcd.cluster.endpoints.join(','),
      name,
      '3000',
    ]);
    try {
      const held = JSON.parse(await holder.line()) as { token: string };
      const waiterProvider = etcd.provider();
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

/** A holder of `name`, a waiter of `waiterProvider` queued behind it, and the waiter's session lease revoked. */
async function queueAndRevoke(name: string, waiterProvider: EtcdProvider) {
  const holder = await etcd.provider().lock(name).acquire();
  const waiting = settle(waiterProvider.lock(name).acquire());
  await eventually(
    async () => (await queueLength(waiterProvider, name)) === 2,
    10_000,
    'the waiter to queue',
  );
  const leaseId = (await waiterProvider.sessionLeaseId()) as bigint;
  await etcd.admin.leaseClient.leaseRevoke({ ID: leaseId.toString() });
  return { holder, waiting, leaseId };
}
