import { PermitsMismatchError } from '@lock/core';
import { describe, expect, it } from 'vitest';
import { MutexProvider } from '../src/index.js';

/** The provider's table of names (internal), to see what idle names cost. */
function tableSize(provider: MutexProvider): number {
  return (Reflect.get(provider, 'states') as Map<string, unknown>).size;
}

describe('the keyed table of a MutexProvider', () => {
  it('a hot name keeps its entry between acquisitions; idle one-off names are swept as the table grows', async () => {
    const provider = new MutexProvider();
    for (let round = 0; round < 3; round += 1) await (await provider.lock('hot').acquire()).release();
    expect(tableSize(provider)).toBe(1);
    expect(provider.size).toBe(0);
    for (let index = 0; index < 10_000; index += 1) {
      await (await provider.lock(`user:${index}`).acquire()).release();
    }
    expect(provider.size).toBe(0);
    // Never more than twice the busy names plus 64 entries, however many names passed through.
    expect(tableSize(provider)).toBeLessThanOrEqual(64);
    await provider.close();
  });

  it('busy names are never swept, and their queues survive a sweep', async () => {
    const provider = new MutexProvider();
    const held = await Promise.all(
      Array.from({ length: 100 }, (_, index) => provider.lock(`busy:${index}`).acquire()),
    );
    const waiting = provider.lock('busy:0').acquire();
    for (let index = 0; index < 1_000; index += 1)
      await (await provider.lock(`once:${index}`).acquire()).release();
    expect(provider.size).toBe(100);
    expect(provider.pending('busy:0')).toBe(2);
    await held[0]!.release();
    const next = await waiting;
    expect(next.token).toBeGreaterThan(held[99]!.token);
    await next.release();
    await Promise.all(held.slice(1).map((lease) => lease.release()));
    expect(provider.size).toBe(0);
    await provider.close();
  });

  it('an idle name changes use freely: a lock becomes a semaphore, a semaphore gets other permits', async () => {
    const provider = new MutexProvider();
    const lease = await provider.lock('shifty').acquire();
    await lease.release();
    const permit = await provider.semaphore('shifty', 2).acquire();
    expect(permit.token).toBeGreaterThan(lease.token);
    // Busy with 2 permits: other permits are refused.
    await expect(provider.semaphore('shifty', 3).acquire()).rejects.toBeInstanceOf(PermitsMismatchError);
    await permit.release();
    const other = await provider.semaphore('shifty', 3).acquire();
    await other.release();
    const again = await provider.lock('shifty').acquire();
    expect(again.token).toBeGreaterThan(other.token);
    await again.release();
    await provider.close();
  });
});
