import { type Lease, type Lock, LockLostError, type ReadWriteLock } from '@lock/core';
import { describe, expect, it } from 'vitest';
import { runCounter } from '../src/conformance/checks.js';
import { runPermitCounter, runReadWriteCounter } from '../src/conformance/mode-checks.js';
import { ReferenceProvider, uniqueName } from '../src/index.js';

// The counters tell a lease that was lost (its signal aborted, as the contract allows, and the lock went to
// the next waiter) from two leases held at once. `losing` makes every grant of a correct lock go away as soon
// as it is made, while its holder is still inside: told (signal aborted) it is a lost lease; untold
// (`tell: false`, a backend that loses grants silently) it is a double grant, and the counters go red.

/** `lock`, except that each grant is given back as soon as it is made, with or without telling. */
function losing(lock: Lock, tell: boolean): Lock {
  return {
    ...lock,
    name: lock.name,
    capabilities: lock.capabilities,
    acquire: async (options) => {
      const inner = await lock.acquire(options);
      const controller = new AbortController();
      // Lost at once: the holder enters and stays inside while the lock goes to the next waiter.
      if (tell) controller.abort(new LockLostError(lock.name, 'expired'));
      void inner.release();
      const lease: Lease = {
        name: inner.name,
        token: inner.token,
        ttlMs: inner.ttlMs,
        signal: controller.signal,
        get held() {
          return inner.held;
        },
        release: () => inner.release(),
        extend: (ttlMs) => inner.extend(ttlMs),
        [Symbol.asyncDispose]: () => inner.release().then(() => undefined),
      };
      return lease;
    },
  };
}

function losingReadWrite(provider: ReferenceProvider, name: string, tell: boolean): () => ReadWriteLock {
  return () => {
    const readWrite = provider.readWriteLock(name);
    return { name, read: losing(readWrite.read, tell), write: losing(readWrite.write, tell) };
  };
}

const OPTIONS = { contenders: 10, rounds: 5, writeEvery: 3 };

describe('counters with lost leases', () => {
  it('read-write: a grant beside a lost holder is counted apart, not as an overlap', async () => {
    const provider = new ReferenceProvider();
    const result = await runReadWriteCounter(losingReadWrite(provider, uniqueName('lost-rw'), true), OPTIONS);
    await provider.close();
    expect(result.overlaps).toBe(0);
    expect(result.lostOverlaps).toBeGreaterThan(0);
    expect(result.lostLeases).toBe(OPTIONS.contenders * OPTIONS.rounds);
    expect(result.lostReasons.join()).toContain('was lost');
    // A writer whose lease is lost before it writes does not write: the counter stays exact.
    expect(result.skippedWrites).toBeGreaterThan(0);
    expect(result.final).toBe(result.expected);
  });

  it('read-write mutant: grants lost without telling are overlaps (red)', async () => {
    const provider = new ReferenceProvider();
    const result = await runReadWriteCounter(
      losingReadWrite(provider, uniqueName('silent-rw'), false),
      OPTIONS,
    );
    await provider.close();
    expect(result.overlaps).toBeGreaterThan(0);
    expect(result.lostLeases).toBe(0);
    expect(result.final).toBeLessThan(result.expected);
  });

  it('permits: holders whose lease was lost do not count against the permits', async () => {
    const provider = new ReferenceProvider();
    const name = uniqueName('lost-sem');
    const locks = Array.from({ length: 10 }, () => losing(provider.semaphore(name, 2), true));
    const result = await runPermitCounter(locks, 5);
    await provider.close();
    expect(result.maxConcurrent).toBeLessThanOrEqual(2);
    expect(result.lostLeases).toBe(50);
    expect(result.granted).toBe(result.expected);
  });

  it('permits mutant: permits lost without telling exceed the permits (red)', async () => {
    const provider = new ReferenceProvider();
    const name = uniqueName('silent-sem');
    const locks = Array.from({ length: 10 }, () => losing(provider.semaphore(name, 2), false));
    const result = await runPermitCounter(locks, 5);
    await provider.close();
    expect(result.maxConcurrent).toBeGreaterThan(2);
    expect(result.lostLeases).toBe(0);
  });
  it('exclusive: a holder whose lease was lost is not a second holder', async () => {
    const provider = new ReferenceProvider();
    const name = uniqueName('lost-lock');
    const result = await runCounter(
      Array.from({ length: 10 }, () => losing(provider.lock(name), true)),
      { rounds: 5 },
    );
    await provider.close();
    expect(result.maxConcurrent).toBe(1);
    expect(result.lostLeases).toBe(50);
    expect(result.final).toBe(result.expected);
  });

  it('exclusive mutant: grants lost without telling are two holders (red)', async () => {
    const provider = new ReferenceProvider();
    const name = uniqueName('silent-lock');
    const result = await runCounter(
      Array.from({ length: 10 }, () => losing(provider.lock(name), false)),
      { rounds: 5 },
    );
    await provider.close();
    expect(result.maxConcurrent).toBeGreaterThan(1);
    expect(result.final).toBeLessThan(result.expected);
  });
});
