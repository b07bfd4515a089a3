import { LockLostError } from '@lock/core';
import { describe, expect, it } from 'vitest';
import { describeConformance } from '../src/conformance.js';
import {
  grantOrder,
  lostGrantCheck,
  ReferenceProvider,
  runCounter,
  strictlyIncreasing,
  uniqueName,
  whenAborted,
} from '../src/index.js';

// The suite passes on the reference lock...
describeConformance({
  name: 'reference lock',
  createProvider: () => new ReferenceProvider({ ttlMs: 600 }),
  loseGrant: async (lease, provider) => (provider as ReferenceProvider).expire(lease.name),
  leftovers: async (name, provider) => (provider as ReferenceProvider).leftovers(name),
  queueDepth: async (name, provider) => (provider as ReferenceProvider).queueDepth(name),
  renewal: { ttlMs: 300, holdMs: 800 },
});

// A backend without read-write locks and semaphores: their cases skip visibly, and it must refuse them.
describeConformance({
  name: 'reference lock without read-write locks and semaphores',
  createProvider: () => new ReferenceProvider({ ttlMs: 600, readWrite: false, semaphore: false }),
  leftovers: async (name, provider) => (provider as ReferenceProvider).leftovers(name),
  queueDepth: async (name, provider) => (provider as ReferenceProvider).queueDepth(name),
});

// ...and its checks turn red on broken variants, so a green run means something.
describe('conformance checks on broken locks', () => {
  it('the counter check sees lost increments and overlapping holders without mutual exclusion', async () => {
    const provider = new ReferenceProvider({ mutant: 'no-lock' });
    const name = uniqueName('mutant-counter');
    const result = await runCounter(
      Array.from({ length: 10 }, () => provider.lock(name)),
      { rounds: 5, holdMs: () => 2 },
    );
    expect(result.maxConcurrent).toBeGreaterThan(1);
    expect(result.final).toBeLessThan(result.expected);
    await provider.close();
  });

  it('the token check sees tokens that do not increase with fencing off', async () => {
    const provider = new ReferenceProvider({ mutant: 'fencing-off' });
    const name = uniqueName('mutant-tokens');
    const result = await runCounter([provider.lock(name), provider.lock(name)], { rounds: 3 });
    expect(result.final).toBe(result.expected);
    expect(strictlyIncreasing(result.tokens)).toBe(false);
    await provider.close();
  });

  it('the FIFO check sees an out-of-order grant', async () => {
    const provider = new ReferenceProvider({ mutant: 'lifo' });
    const order = await grantOrder(provider, uniqueName('mutant-fifo'), 5, 2);
    expect(order).not.toEqual([0, 1, 2, 3, 4]);
    await provider.close();
  });

  it('the lost-grant check sees a lease whose loss is never signalled', async () => {
    const provider = new ReferenceProvider({ mutant: 'deaf-renewal', ttlMs: 300 });
    const lease = await provider.lock(uniqueName('mutant-lost')).acquire();
    provider.expire(lease.name);
    await expect(whenAborted(lease.signal, 1_000)).rejects.toThrow(/did not abort/);
    await lease.release();
    await provider.close();
  });

  it('the lost-grant check sees a stale release that frees the successor', async () => {
    const provider = new ReferenceProvider({ mutant: 'release-unchecked', ttlMs: 300 });
    const check = await lostGrantCheck(
      provider,
      uniqueName('mutant-release'),
      async (lease) => provider.expire(lease.name),
      2_000,
    );
    expect(LockLostError.isInstance(check.reason)).toBe(true);
    expect(check.successorKept).toBe(false);
    await provider.close();
  });

  it('the renewal check sees a lease that does not renew', async () => {
    // Renewal every 10 s against a 300 ms TTL: the grant expires on the "server" long before.
    const provider = new ReferenceProvider({ ttlMs: 300 });
    const lock = provider.lock(uniqueName('mutant-renewal'), { ttlMs: 30_000, renewEveryMs: 10_000 });
    const lease = await lock.acquire({ ttlMs: 30_000 });
    provider.expire(lease.name);
    expect(await provider.lock(lease.name).tryAcquire()).not.toBeNull();
    await provider.close();
  });
});
