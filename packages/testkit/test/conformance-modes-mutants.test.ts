import { PermitsMismatchError } from '@lock/core';
import { describe, expect, it } from 'vitest';
import {
  crossModeInversions,
  exclusionProbe,
  modeGrantOrder,
  runPermitCounter,
  runReadWriteCounter,
  tokensAcrossModes,
  writerAmongReaders,
} from '../src/conformance/mode-checks.js';
import { permitGrantOrder, permitsAtCapacity, permitsMismatch } from '../src/conformance/permit-checks.js';
import {
  type ReferenceMutant,
  ReferenceProvider,
  strictlyIncreasing,
  TokenOrder,
  uniqueName,
} from '../src/index.js';

// The read-write and semaphore checks of the suite turn red on broken variants of the reference, each
// because of its fault, so their green on a backend means something. The correct reference is green on
// all of them in conformance-reference.test.ts.

const PATTERN = ['read', 'write', 'read', 'read', 'write', 'read'] as const;

async function withMutant<T>(
  mutant: ReferenceMutant,
  run: (provider: ReferenceProvider) => Promise<T>,
): Promise<T> {
  const provider = new ReferenceProvider({ mutant });
  try {
    return await run(provider);
  } finally {
    await provider.close();
  }
}

const queueDepthOf = (provider: ReferenceProvider) => async (name: string) => provider.queueDepth(name);

describe('read-write checks on broken read-write locks', () => {
  it('a write grant that acts as a read grant: tryAcquire beside a writer is granted', async () => {
    const probe = await withMutant('write-as-read', async (provider) => {
      const name = uniqueName('mutant-write-as-read');
      return exclusionProbe(() => provider.readWriteLock(name));
    });
    expect(probe.readWhileWriting).toBe(true);
    expect(probe.writeWhileWriting).toBe(true);
    expect(probe.writeWhileReading).toBe(true);
  });

  it('a write grant that acts as a read grant: the mixed counter sees overlapping writers', async () => {
    const result = await withMutant('write-as-read', async (provider) => {
      const name = uniqueName('mutant-write-as-read-counter');
      return runReadWriteCounter(() => provider.readWriteLock(name), {
        contenders: 10,
        rounds: 5,
        writeEvery: 3,
      });
    });
    expect(result.overlaps).toBeGreaterThan(0);
  });

  it('late readers that pass a waiting writer: the writer waits out the whole stream', async () => {
    const seen = await withMutant('readers-pass-writer', async (provider) => {
      const name = uniqueName('mutant-readers-pass');
      return writerAmongReaders(() => provider.readWriteLock(name), name, 5, queueDepthOf(provider), 50);
    });
    expect(seen.lateTryReadGranted).toBe(true);
    expect(seen.readersBeforeWriter).toBe(1 + 5);
  });

  it('a lock that serves waiters last-come first-served: grants cross modes out of order', async () => {
    const order = await withMutant('lifo', async (provider) => {
      const name = uniqueName('mutant-rw-lifo');
      return modeGrantOrder(() => provider.readWriteLock(name), name, PATTERN, queueDepthOf(provider), 50);
    });
    expect(crossModeInversions(PATTERN, order)).toBeGreaterThan(0);
  });

  it('tokens with fencing off do not increase across modes', async () => {
    const tokens = await withMutant('fencing-off', async (provider) => {
      const name = uniqueName('mutant-rw-tokens');
      return tokensAcrossModes(() => provider.readWriteLock(name));
    });
    expect(strictlyIncreasing(tokens)).toBe(false);
  });

  it('crossModeInversions counts a writer granted out of turn and ignores readers granted together', () => {
    expect(crossModeInversions(PATTERN, [0, 1, 3, 2, 4, 5])).toBe(0);
    expect(crossModeInversions(PATTERN, [0, 2, 1, 3, 4, 5])).toBe(1);
    expect(crossModeInversions(PATTERN, [5, 4, 3, 2, 1, 0])).toBeGreaterThan(0);
  });
});

describe('TokenOrder', () => {
  it('accepts shared grants seen out of server order, and refuses a token below one seen before asking', () => {
    const order = new TokenOrder();
    const first = order.asked();
    const second = order.asked();
    // Both asked before either was seen granted: either order is grant order.
    second(6n);
    first(5n);
    expect(order.regressions).toBe(0);
    order.asked()(4n);
    expect(order.regressions).toBe(1);
    order.asked()(6n);
    expect(order.regressions).toBe(2);
  });
});

describe('semaphore checks on broken semaphores', () => {
  it('a semaphore that admits N+1: the extra tryAcquire is granted', async () => {
    const seen = await withMutant('permits-plus-one', async (provider) => {
      const name = uniqueName('mutant-plus-one');
      return permitsAtCapacity(() => provider.semaphore(name, 3), name, 3, queueDepthOf(provider), 50);
    });
    expect(seen.extraGranted).toBe(true);
  });

  it('a semaphore that admits N+1: the counter sees N+1 holders at once', async () => {
    const result = await withMutant('permits-plus-one', async (provider) => {
      const name = uniqueName('mutant-plus-one-counter');
      return runPermitCounter(
        Array.from({ length: 10 }, () => provider.semaphore(name, 3)),
        5,
      );
    });
    expect(result.maxConcurrent).toBe(4);
  });

  it('a semaphore without mutual exclusion: the counter sees more than N holders', async () => {
    const result = await withMutant('no-lock', async (provider) => {
      const name = uniqueName('mutant-sem-no-lock');
      return runPermitCounter(
        Array.from({ length: 10 }, () => provider.semaphore(name, 3)),
        5,
      );
    });
    expect(result.maxConcurrent).toBeGreaterThan(3);
  });

  it('tokens with fencing off repeat: the counter sees token regressions', async () => {
    const result = await withMutant('fencing-off', async (provider) => {
      const name = uniqueName('mutant-sem-tokens');
      return runPermitCounter(
        Array.from({ length: 10 }, () => provider.semaphore(name, 3)),
        3,
      );
    });
    expect(result.tokenRegressions).toBeGreaterThan(0);
  });

  it('a semaphore that ignores other permits: no PermitsMismatchError', async () => {
    const seen = await withMutant('permits-unchecked', async (provider) => {
      const name = uniqueName('mutant-permits');
      return permitsMismatch((permits) => provider.semaphore(name, permits), 3, 2);
    });
    expect(PermitsMismatchError.isInstance(seen.acquireError)).toBe(false);
    expect(PermitsMismatchError.isInstance(seen.tryError)).toBe(false);
  });

  it('a semaphore that serves waiters last-come first-served: permits out of order', async () => {
    const order = await withMutant('lifo', async (provider) => {
      const name = uniqueName('mutant-sem-lifo');
      return permitGrantOrder(() => provider.semaphore(name, 2), name, 5, queueDepthOf(provider), 50);
    });
    expect(order).not.toEqual([0, 1, 2, 3, 4]);
  });
});
