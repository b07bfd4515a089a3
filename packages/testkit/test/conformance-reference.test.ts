import { describe, expect, it } from 'vitest';
import { describeConformance } from '../src/conformance.js';
import {
  grantOrder,
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
  enqueueDelayMs: 5,
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
    // No renewal reaches the backend when the grant never expires locally: the reference lock with a huge
    // TTL forgets the holder, but the lease only learns at its next renewal, 10 s later.
    const provider = new ReferenceProvider({ ttlMs: 30_000 });
    const lease = await provider.lock(uniqueName('mutant-lost')).acquire();
    provider.expire(lease.name);
    await expect(whenAborted(lease.signal, 200)).rejects.toThrow(/did not abort/);
    await lease.release();
    await provider.close();
  });
});
