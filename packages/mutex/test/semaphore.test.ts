import { InvalidArgumentError, LockTimeoutError, PermitsMismatchError } from '@lock/core';
import { checkHistory } from '@lock/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MutexProvider, Semaphore } from '../src/index.js';
import { invalidArgument } from './invalid-argument.js';
import { abandonWaits, runModeHistory } from './mode-history.js';

const SEED = 0x5e3a;
const PERMITS = 3;

describe('Semaphore', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it(`safety checker: never more than ${PERMITS} holders under 10 tasks; the permits-plus-one mutant is red`, async () => {
    const run = (permits: number) => {
      const provider = new MutexProvider();
      return runModeHistory(10, 40, SEED, () => ({
        lock: provider.semaphore('pool', permits),
        mode: 'shared',
        writes: false,
      }));
    };
    const sound = checkHistory((await run(PERMITS)).history, { permits: PERMITS });
    expect(sound.permits!.maxHolders).toBe(PERMITS);
    expect(sound.permits!.excessGrants).toBe(0);
    expect(sound.tokens.regressions + sound.tokens.duplicates).toBe(0);
    expect(sound.violations).toBe(0);
    // The mutant: every task builds its semaphore with one permit more than the run checks.
    const mutant = checkHistory((await run(PERMITS + 1)).history, { permits: PERMITS });
    expect(mutant.permits!.excessGrants).toBeGreaterThan(0);
    expect(mutant.violations).toBeGreaterThan(0);
  });

  it('hands a released permit to the first waiter synchronously: never idle while someone waits', async () => {
    const semaphore = new Semaphore('handoff', 2);
    const [a, b] = [await semaphore.acquire(), await semaphore.acquire()];
    expect(semaphore.available).toBe(0);
    const order: number[] = [];
    const waiters = [0, 1, 2].map((index) =>
      semaphore.acquire().then((lease) => {
        order.push(index);
        return lease;
      }),
    );
    expect(semaphore.waiting).toBe(3);
    await a.release();
    // Handed on, not freed: a newcomer cannot take it past the queue.
    expect(semaphore.available).toBe(0);
    expect(await semaphore.tryAcquire()).toBeNull();
    const first = await waiters[0]!;
    await b.release();
    const second = await waiters[1]!;
    await first.release();
    const third = await waiters[2]!;
    expect(order).toEqual([0, 1, 2]);
    await second.release();
    await third.release();
    expect(semaphore.available).toBe(2);
  });

  it('PermitsMismatchError on the free path and behind waiters; the name is accepted again once idle', async () => {
    const provider = new MutexProvider();
    const holders = [];
    for (let index = 0; index < PERMITS; index++)
      holders.push(await provider.semaphore('s', PERMITS).acquire());
    const waiter = provider.semaphore('s', PERMITS).acquire();
    for (const attempt of [
      provider.semaphore('s', 5).acquire(),
      provider.semaphore('s', 1).tryAcquire(),
      provider.semaphore('s', 2).acquire({ timeoutMs: 10 }),
    ]) {
      const error = await attempt.catch((thrown: unknown) => thrown);
      expect(PermitsMismatchError.isInstance(error), String(error)).toBe(true);
      expect((error as PermitsMismatchError).existingPermits).toBe(PERMITS);
    }
    for (const lease of holders) await lease.release();
    await (await waiter).release();
    expect(provider.size).toBe(0);
    const other = await provider.semaphore('s', 5).acquire();
    await other.release();
    await provider.close();
  });

  it('one name is a lock or a semaphore at a time: the other use is an InvalidArgumentError naming name', async () => {
    const provider = new MutexProvider();
    const permit = await provider.semaphore('x', 2).acquire();
    for (const attempt of [provider.lock('x').acquire(), provider.readWriteLock('x').read.tryAcquire()]) {
      const error = await attempt.catch((thrown: unknown) => thrown);
      expect(InvalidArgumentError.isInstance(error), String(error)).toBe(true);
      expect((error as InvalidArgumentError).parameter).toBe('name');
    }
    await permit.release();
    const lease = await provider.lock('x').acquire();
    const error = await provider
      .semaphore('x', 2)
      .tryAcquire()
      .catch((thrown: unknown) => thrown);
    expect((error as InvalidArgumentError).parameter).toBe('name');
    await lease.release();
    expect(provider.size).toBe(0);
    await provider.close();
  });

  it('after 4,000 timed-out or aborted permit waiters: no waiter, no timer, every permit free', async () => {
    vi.useFakeTimers();
    const provider = new MutexProvider();
    const semaphore = provider.semaphore('churn', 2);
    const held = [await semaphore.acquire(), await semaphore.acquire()];
    const timedOut = await abandonWaits(
      2_000,
      () => semaphore,
      (ms) => vi.advanceTimersByTimeAsync(ms),
      (error) => LockTimeoutError.isInstance(error),
    );
    expect(timedOut).toBe(2_000);
    expect(provider.waiting('churn')).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    for (const lease of held) await lease.release();
    expect(provider.size).toBe(0);
    await provider.close();
  });

  it('closing the provider rejects permit waiters and ends held permits', async () => {
    const provider = new MutexProvider();
    const holder = await provider.semaphore('c', 1).acquire();
    const waiter = provider
      .semaphore('c', 1)
      .acquire()
      .catch((error: unknown) => error);
    await provider.close();
    expect(((await waiter) as Error).name).toBe('ProviderClosedError');
    expect(holder.signal.aborted).toBe(true);
    expect(provider.size).toBe(0);
  });

  it('rejects bad permits and options before anything happens', () => {
    for (const permits of [0, -1, 1.5, Number.NaN, 1_000_001]) {
      expect(invalidArgument(() => new Semaphore('p', permits)).parameter).toBe('permits');
    }
    expect(invalidArgument(() => new Semaphore('', 1)).parameter).toBe('name');
    expect(invalidArgument(() => new Semaphore('p', 1, { nope: 1 } as never)).parameter).toContain('nope');
  });
});
