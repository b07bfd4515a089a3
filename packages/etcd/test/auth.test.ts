import { LockBackendError } from '@lock/core';
import { settle, sleep, startEtcd, uniqueName } from '@lock/testkit';
import { Etcd3, EtcdPermissionDeniedError, Range } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { EtcdProvider, etcdClientOptions } from '../src/index.js';
import { queueLength } from './helpers.js';

describe('auth', () => {
  it('a queued waiter whose reads etcd refuses (permission revoked) rejects with LockBackendError, no retry loop', {
    timeout: 60_000,
  }, async () => {
    const cluster = await startEtcd({ members: 1 });
    const setup = new Etcd3({ hosts: cluster.endpoints });
    const clients: Etcd3[] = [setup];
    const providers: EtcdProvider[] = [];
    const authed = (username: string, password: string) => {
      const client = new Etcd3({ ...etcdClientOptions(cluster.endpoints), auth: { username, password } });
      clients.push(client);
      return client;
    };
    try {
      const name = uniqueName('perm');
      const keys = Range.prefix(`${name}/`);
      await setup.user('root').create('root-pw');
      await setup.user('root').addRole('root');
      await setup.role('locker').create();
      await setup.role('locker').grant({ permission: 'Readwrite', range: keys });
      await setup.user('locker').create('locker-pw');
      await setup.user('locker').addRole('locker');
      await setup.auth.authEnable();
      const root = authed('root', 'root-pw');
      const holderProvider = new EtcdProvider({ client: root });
      const waiterProvider = new EtcdProvider({ client: authed('locker', 'locker-pw') });
      providers.push(holderProvider, waiterProvider);
      const holder = await holderProvider.lock(name).acquire();
      // No timeout and no signal: before the fix a refused read was retried forever.
      const waiting = settle(waiterProvider.lock(name).acquire());
      while ((await queueLength(holderProvider, name)) < 2) await sleep(20);
      await root.role('locker').revoke({ permission: 'Readwrite', range: keys });
      const outcome = await Promise.race([waiting, sleep(20_000).then(() => 'still waiting' as const)]);
      expect(outcome).not.toBe('still waiting');
      const { error } = outcome as Awaited<typeof waiting>;
      expect(LockBackendError.isInstance(error)).toBe(true);
      expect((error as LockBackendError).lockName).toBe(name);
      expect((error as Error).cause).toBeInstanceOf(EtcdPermissionDeniedError);
      expect(holder.held).toBe(true);
      await holder.release();
      // Give the permission back so the waiter's provider can revoke its session lease on close.
      await root.role('locker').grant({ permission: 'Readwrite', range: keys });
    } finally {
      await Promise.allSettled(providers.map((provider) => provider.close()));
      for (const client of clients) client.close();
      await cluster.close();
    }
  });
});
