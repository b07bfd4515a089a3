import { LockTimeoutError } from '@lock/core';
import { settle, sleep, uniqueName } from '@lock/testkit';
import { describe, expect, it } from 'vitest';
import { etcdctl, eventually, queueLength, useEtcd } from './helpers.js';

const etcd = useEtcd();

describe('interop with etcdctl lock', () => {
  it('etcdctl holds: this package waits, and gets the lock once etcdctl lets go', async () => {
    const name = uniqueName('ctl-holds');
    const ctl = etcdctl(etcd.cluster.endpoints, ['lock', '--ttl=5', name]);
    try {
      const ctlKey = await ctl.line((line) => line.startsWith(`${name}/`));
      const created = etcd.provider();
      expect(await created.lock(name).tryAcquire()).toBeNull();
      const timedOut = await settle(created.lock(name).acquire({ timeoutMs: 300 }));
      expect(LockTimeoutError.isInstance(timedOut.error)).toBe(true);
      const waiting = created.lock(name).acquire();
      await eventually(async () => (await queueLength(created, name)) === 2, 10_000, 'our waiter to queue');
      const status = await created.status(name);
      expect(status.holders[0]?.id).toBe(ctlKey);
      // etcdctl closes its session (revoking the lease) on SIGINT.
      ctl.signal('SIGINT');
      const lease = await waiting;
      expect(lease.token > (status.holders[0]?.token ?? 0n)).toBe(true);
      await lease.release();
    } finally {
      await ctl.stop();
    }
  });

  it('this package holds: etcdctl lock waits until release, then holds and excludes us', async () => {
    const name = uniqueName('we-hold');
    const created = etcd.provider();
    const lease = await created.lock(name).acquire();
    const ctl = etcdctl(etcd.cluster.endpoints, [
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

  it('readers hold: etcdctl lock waits for them, and a reader after it waits for etcdctl', async () => {
    const name = uniqueName('ctl-readers');
    const created = etcd.provider();
    const readers = [
      await created.readWriteLock(name).read.acquire(),
      await etcd.provider().readWriteLock(name).read.acquire(),
    ];
    const ctl = etcdctl(etcd.cluster.endpoints, [
      'lock',
      '--ttl=5',
      name,
      '--',
      'sh',
      '-c',
      'echo got-it; sleep 1',
    ]);
    try {
      await eventually(async () => (await queueLength(created, name)) === 3, 10_000, 'etcdctl to queue');
      // A reader that comes after etcdctl's key waits for it, as for any writer.
      let lateGranted = false;
      const late = etcd
        .provider()
        .readWriteLock(name)
        .read.acquire()
        .then((lease) => {
          lateGranted = true;
          return lease;
        });
      await eventually(
        async () => (await queueLength(created, name)) === 4,
        10_000,
        'the late reader to queue',
      );
      await sleep(300);
      expect(ctl.output).not.toContain('got-it');
      for (const lease of readers) await lease.release();
      await ctl.line((line) => line.includes('got-it'));
      expect(lateGranted).toBe(false);
      const reader = await late;
      expect((await ctl.exited).code).toBe(0);
      await reader.release();
      expect(await queueLength(created, name)).toBe(0);
    } finally {
      await ctl.stop();
    }
  });
});
