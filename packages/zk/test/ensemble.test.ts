import type { Lease } from '@lock/core';
import type { ZooKeeperEnsemble } from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ZooKeeperProvider } from '../src/index.js';
import type { ZooKeeperGrant } from '../src/internal.js';
import { eventually, makeProvider, sleep, startServers } from './support.js';

let servers: ZooKeeperEnsemble;
const providers: ZooKeeperProvider[] = [];

beforeAll(async () => {
  servers = await startServers({ servers: 3 });
});

afterAll(async () => {
  await Promise.allSettled(providers.map((provider) => provider.close()));
  await servers?.close();
});

describe('3-server ensemble', () => {
  it('leader kill: a holder that reconnects in time keeps the lock, and there are never two holders', {
    timeout: 90_000,
  }, async () => {
    // The longest timeout these servers allow (20 ticks): 2/3 of it outlasts an election here.
    const holderProvider = makeProvider(servers.connectionString, { sessionTimeoutMs: 10_000 });
    const contenderProvider = makeProvider(servers.connectionString, { sessionTimeoutMs: 10_000 });
    providers.push(holderProvider, contenderProvider);
    const name = `leader-kill-${process.pid}`;
    const lease = await holderProvider.lock(name).acquire();
    const session = (lease as unknown as { grant: ZooKeeperGrant }).grant.session;
    let disconnects = 0;
    session.client.on('connecting', () => {
      disconnects += 1;
    });

    // A contender keeps trying while the fault runs; any success while the holder believes it holds is
    // two holders.
    let stop = false;
    let doubleGrants = 0;
    let attempts = 0;
    const contender = (async () => {
      while (!stop) {
        attempts += 1;
        const stolen: Lease | null = await contenderProvider
          .lock(name)
          .tryAcquire()
          .catch(() => null);
        if (stolen !== null) {
          if (lease.held) doubleGrants += 1;
          await stolen.release().catch(() => false);
        }
        await sleep(100);
      }
    })();

    const leader = await servers.leader();
    await leader.kill();
    const newLeader = await servers.leader(30_000);
    expect(newLeader.id).not.toBe(leader.id);
    await eventually(() => disconnects > 0 && session.state === 'connected', 30_000);
    await sleep(500);
    stop = true;
    await contender;

    expect(lease.held).toBe(true);
    expect(lease.signal.aborted).toBe(false);
    expect(holderProvider.sessionCount).toBe(1);
    expect(doubleGrants).toBe(0);
    expect(attempts).toBeGreaterThan(0);
    expect(await contenderProvider.lock(name).tryAcquire()).toBeNull();
    expect(await lease.release()).toBe(true);
    const next = await contenderProvider.lock(name).acquire({ timeoutMs: 20_000 });
    expect(next.token).toBeGreaterThan(lease.token);
    await next.release();
    await leader.restart();
  });
});
