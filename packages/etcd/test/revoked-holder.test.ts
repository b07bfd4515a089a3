import { type EtcdCluster, FaultProxy, sleep, startEtcd, uniqueName } from '@lock/testkit';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdProvider, etcdClientOptions } from '../src/index.js';
import { eventually, queueLength } from './helpers.js';

let cluster: EtcdCluster;
let admin: Etcd3;

beforeAll(async () => {
  cluster = await startEtcd({ members: 1 });
  admin = new Etcd3(etcdClientOptions(cluster.endpoints));
});
afterAll(async () => {
  admin?.close();
  await cluster?.close();
});

/**
 * etcd issue 15247, deterministically: a leader resuming from a pause revokes a lease its holder has just
 * renewed, so the holder's key goes while the holder still believes it holds the lock. Here the holder's
 * connection is blackholed first (its next keepalive cannot tell it; it believes until its own safe
 * deadline) and its session lease is revoked from outside, which is what the old leader does.
 */
async function revokeHolderUnderWaiter(waitOutRevokedHolders: boolean) {
  const name = uniqueName(waitOutRevokedHolders ? 'revoked-mitigated' : 'revoked');
  const proxy = await FaultProxy.start({ targetPort: cluster.members[0]!.clientPort });
  const holderProvider = new EtcdProvider({ endpoints: [`http://${proxy.address}`], ttlMs: 3_000 });
  const waiterProvider = new EtcdProvider({
    endpoints: cluster.endpoints,
    ttlMs: 3_000,
    waitOutRevokedHolders,
  });
  try {
    const holder = await holderProvider.lock(name).acquire();
    let holderLostAt = Number.POSITIVE_INFINITY;
    holder.signal.addEventListener('abort', () => (holderLostAt = performance.now()));
    let holderHeldAtGrant: boolean | undefined;
    let grantedAt = 0;
    const waiting = waiterProvider
      .lock(name)
      .acquire()
      .then((lease) => {
        grantedAt = performance.now();
        holderHeldAtGrant = holder.held;
        return lease;
      });
    await eventually(
      async () => (await queueLength(waiterProvider, name)) === 2,
      10_000,
      'the waiter to queue',
    );
    // Let the waiter's watch on the holder's key be confirmed.
    await sleep(300);
    proxy.blackhole();
    const leaseId = (await holderProvider.sessionLeaseId()) as bigint;
    const revokedAt = performance.now();
    await admin.leaseClient.leaseRevoke({ ID: leaseId.toString() });
    const next = await waiting;
    await eventually(() => holderLostAt < Number.POSITIVE_INFINITY, 10_000, 'the holder to learn it lost');
    await next.release();
    return {
      // Positive: both believed they held the lock for this long.
      believedOverlapMs: holderLostAt - grantedAt,
      holderHeldAtGrant,
      waitedMs: grantedAt - revokedAt,
      waits: waiterProvider.stats.revokedHolderWaits,
    };
  } finally {
    proxy.pass();
    await Promise.allSettled([holderProvider.close(), waiterProvider.close()]);
    await proxy.close();
  }
}

describe('a holder whose live lease is revoked (etcd issue 15247)', () => {
  it('without waitOutRevokedHolders the waiter is granted while the holder still believes it holds', {
    timeout: 60_000,
  }, async () => {
    const outcome = await revokeHolderUnderWaiter(false);
    expect(outcome.holderHeldAtGrant, JSON.stringify(outcome)).toBe(true);
    expect(outcome.believedOverlapMs, JSON.stringify(outcome)).toBeGreaterThan(0);
    expect(outcome.waits).toBe(0);
  });

  it('with it the waiter takes the lock only after the holder has given it up by its own deadline', {
    timeout: 60_000,
  }, async () => {
    const outcome = await revokeHolderUnderWaiter(true);
    expect(outcome.holderHeldAtGrant, JSON.stringify(outcome)).toBe(false);
    expect(outcome.believedOverlapMs, JSON.stringify(outcome)).toBeLessThanOrEqual(0);
    expect(outcome.waits).toBe(1);
  });

  it('with it a release by the owner hands over at once (no wait), and so does a waiter giving up', {
    timeout: 60_000,
  }, async () => {
    const name = uniqueName('released-mitigated');
    const providers = [0, 1, 2].map(
      () => new EtcdProvider({ endpoints: cluster.endpoints, ttlMs: 3_000, waitOutRevokedHolders: true }),
    );
    const [holderProvider, quitterProvider, waiterProvider] = providers as [
      EtcdProvider,
      EtcdProvider,
      EtcdProvider,
    ];
    try {
      const holder = await holderProvider.lock(name).acquire();
      const quitter = new AbortController();
      const quitting = quitterProvider
        .lock(name)
        .acquire({ signal: quitter.signal })
        .catch(() => 'gave up');
      await eventually(async () => (await queueLength(holderProvider, name)) === 2, 10_000, 'queueing');
      const waiting = waiterProvider.lock(name).acquire();
      await eventually(async () => (await queueLength(holderProvider, name)) === 3, 10_000, 'queueing');
      // The waiter watches the quitter's key: it goes by its owner's delete, its lease alive.
      quitter.abort();
      expect(await quitting).toBe('gave up');
      await holder.release();
      const next = await waiting;
      expect(next.held).toBe(true);
      await next.release();
      expect(providers.map((provider) => provider.stats.revokedHolderWaits)).toEqual([0, 0, 0]);
    } finally {
      await Promise.allSettled(providers.map((provider) => provider.close()));
    }
  });
});
