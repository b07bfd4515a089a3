import type { Lease } from '@lock/core';
import { FaultProxy, settle, sleep, uniqueName } from '@lock/testkit';
import { describe, expect, it } from 'vitest';
import { EtcdProvider } from '../src/index.js';
import { useEtcdCluster } from './helpers.js';

describe('3-member cluster', () => {
  const etcd = useEtcdCluster();

  /**
   * Contenders loop over critical sections while `fault` runs. Checks: no two holders that still believe
   * they hold; every holder either keeps its lock (release true) or learned it lost it (signal aborted)
   * before release; sections complete after the fault.
   */
  async function contendThrough(fault: () => Promise<void>, label: string) {
    const name = uniqueName(label);
    const providers = Array.from(
      { length: 4 },
      () => new EtcdProvider({ endpoints: etcd.cluster.endpoints, ttlMs: 5_000, requestTimeoutMs: 2_000 }),
    );
    const holders = new Set<Lease>();
    const result = { sections: 0, afterFault: 0, overlaps: 0, silentLosses: 0, lost: 0, errors: 0 };
    let faultDone = false;
    let stop = false;
    const contender = async (provider: EtcdProvider) => {
      while (!stop) {
        const attempt = await settle(provider.lock(name).acquire({ timeoutMs: 10_000 }));
        if (attempt.value === undefined) {
          result.errors += 1;
          await sleep(50);
          continue;
        }
        const lease = attempt.value;
        for (const other of holders) if (!other.signal.aborted) result.overlaps += 1;
        holders.add(lease);
        await sleep(5 + Math.random() * 15);
        holders.delete(lease);
        const lostBefore = lease.signal.aborted;
        const released = await settle(lease.release());
        if (lostBefore) result.lost += 1;
        else if (released.value === false) result.silentLosses += 1;
        result.sections += 1;
        if (faultDone) result.afterFault += 1;
      }
    };
    const running = providers.map(contender);
    await sleep(1_000);
    await fault();
    faultDone = true;
    const sectionsAtHeal = result.sections;
    await sleep(3_000);
    stop = true;
    await Promise.all(running);
    await Promise.allSettled(providers.map((provider) => provider.close()));
    return { ...result, sectionsAtHeal };
  }

  it('a member cut off from the clients (blackholed) does not stop the lock while a quorum lives (F11)', {
    timeout: 90_000,
  }, async () => {
    const name = uniqueName('partitioned-member');
    const proxy = await FaultProxy.start({ targetPort: etcd.cluster.members[0]!.clientPort });
    const endpoints = [`http://${proxy.address}`, ...etcd.cluster.endpoints.slice(1)];
    const providers = Array.from(
      { length: 3 },
      () => new EtcdProvider({ endpoints, ttlMs: 5_000, requestTimeoutMs: 1_000 }),
    );
    try {
      // Sessions first, while every endpoint answers; then the half-open partition.
      for (const provider of providers) await (await provider.lock(name).acquire()).release();
      proxy.blackhole();
      let value = 0;
      let inside = 0;
      let maxInside = 0;
      await Promise.all(
        providers.map(async (provider) => {
          for (let round = 0; round < 8; round++) {
            const lease = await provider.lock(name).acquire({ timeoutMs: 30_000 });
            inside += 1;
            maxInside = Math.max(maxInside, inside);
            const read = value;
            await sleep(2);
            value = read + 1;
            inside -= 1;
            await lease.release();
          }
        }),
      );
      expect(maxInside).toBe(1);
      expect(value).toBe(24);
      expect(providers.every((provider) => provider.stats.sessionsLost === 0)).toBe(true);
    } finally {
      proxy.pass();
      await Promise.allSettled(providers.map((provider) => provider.close()));
      await proxy.close();
    }
  });

  it('leader kill: no two holders, holders keep the lock or learn they lost it, waiters continue (F9)', {
    timeout: 90_000,
  }, async () => {
    const outcome = await contendThrough(async () => {
      const leader = await etcd.cluster.leader();
      await leader.kill();
      await etcd.cluster.leader(20_000);
      await leader.restart();
    }, 'leader-kill');
    expect(outcome.overlaps, JSON.stringify(outcome)).toBe(0);
    expect(outcome.silentLosses, JSON.stringify(outcome)).toBe(0);
    expect(outcome.afterFault, JSON.stringify(outcome)).toBeGreaterThan(0);
  });

  it('leader pause: no two holders, holders keep the lock or learn they lost it, waiters continue (F10)', {
    timeout: 90_000,
  }, async () => {
    const outcome = await contendThrough(async () => {
      const leader = await etcd.cluster.leader();
      leader.pause();
      try {
        await etcd.cluster.leader(20_000);
        await sleep(1_000);
      } finally {
        leader.resume();
      }
    }, 'leader-pause');
    expect(outcome.overlaps, JSON.stringify(outcome)).toBe(0);
    expect(outcome.silentLosses, JSON.stringify(outcome)).toBe(0);
    expect(outcome.afterFault, JSON.stringify(outcome)).toBeGreaterThan(0);
  });
});
