import { sleep, uniqueName } from '@lock/testkit';
import { describe, expect, it } from 'vitest';
import { eventually, queueLength, useEtcd } from './helpers.js';

const etcd = useEtcd();

describe('no herd', () => {
  it('with 20 waiters, each release wakes exactly one of them', { timeout: 60_000 }, async () => {
    const name = uniqueName('herd');
    const holderProvider = etcd.provider();
    const holder = await holderProvider.lock(name).acquire();
    const waiters = Array.from({ length: 20 }, () => etcd.provider());
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
    const prefixWatchers = await Promise.all(
      waiters.map(() => etcd.admin.watch().prefix(`${name}/`).create()),
    );
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
