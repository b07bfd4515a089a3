import {
  InvalidArgumentError,
  type LockOptions,
  type LockProvider,
  LockTimeoutError,
  type ReadWriteLock,
  UnsupportedCapabilityError,
} from '@lock/core';
import { describe, expect, it } from 'vitest';
import { BAD_LOCK_OPTIONS, BAD_NAMES } from './bad-input.js';
import { firstLease, settle, strictlyIncreasing, uniqueName, untilQueued } from './checks.js';
import {
  crossModeInversions,
  exclusionProbe,
  modeGrantOrder,
  type QueueDepth,
  runReadWriteCounter,
  tokensAcrossModes,
  writerAmongReaders,
} from './mode-checks.js';

/** What the read-write and semaphore cases get from `describeConformance`. */
export interface PrimitiveCaseContext {
  provider: () => LockProvider;
  /** Entries left for a name, over every primitive of that name (0 without a hook). */
  leftovers: (name: string) => Promise<number>;
  queueDepth: QueueDepth;
  enqueueDelayMs: number;
  contenders: number;
  rounds: number;
  lockOptions: LockOptions | undefined;
  timeout: number;
}

/** A test's context, for visible skips. */
interface SkipContext {
  skip(note?: string): void;
}

const NO_READ_WRITE = 'skipped: backend declares no readWrite';
const MIXED_PATTERN = ['read', 'write', 'read', 'read', 'write', 'read'] as const;

/**
 * The read-write lock's cases. Each skips visibly (`NO_READ_WRITE`) unless the provider declares
 * `readWrite`, except the check that an undeclared provider refuses with `UnsupportedCapabilityError`.
 */
export function describeReadWriteCases(context: PrimitiveCaseContext): void {
  const { leftovers, queueDepth, enqueueDelayMs, timeout } = context;
  const capabilities = () => context.provider().capabilities;
  const readWrite = (name: string) => (): ReadWriteLock =>
    context.provider().readWriteLock!(name, context.lockOptions);
  /** Skips the test unless the backend has read-write locks (and waits, for cases that wait). */
  const skipped = (test: SkipContext, waits: boolean): boolean => {
    if (capabilities().readWrite !== true) {
      test.skip(NO_READ_WRITE);
      return true;
    }
    if (waits && capabilities().waiting === 'none') {
      test.skip('skipped: the backend never waits');
      return true;
    }
    return false;
  };

  describe('read-write lock', () => {
    it('readWriteLock throws UnsupportedCapabilityError when readWrite is not declared', (test) => {
      if (capabilities().readWrite === true) return test.skip('skipped: backend declares readWrite');
      const provider = context.provider();
      if (provider.readWriteLock === undefined) return test.skip('skipped: provider has no readWriteLock');
      const error = thrown(() => provider.readWriteLock!(uniqueName('rw-unsupported')));
      expect(UnsupportedCapabilityError.isInstance(error)).toBe(true);
    });

    it('rejects bad names and options with InvalidArgumentError before any I/O', (test) => {
      const provider = context.provider();
      if (provider.readWriteLock === undefined) return test.skip('skipped: provider has no readWriteLock');
      for (const name of BAD_NAMES) {
        const error = thrown(() => provider.readWriteLock!(name as string));
        expect(InvalidArgumentError.isInstance(error), `name ${String(name).slice(0, 20)}`).toBe(true);
        expect((error as InvalidArgumentError).parameter).toContain('name');
      }
      for (const [lockOptions, parameter] of BAD_LOCK_OPTIONS) {
        const error = thrown(() => provider.readWriteLock!(uniqueName('rw-bad'), lockOptions as LockOptions));
        expect(InvalidArgumentError.isInstance(error), JSON.stringify(lockOptions)).toBe(true);
        expect((error as InvalidArgumentError).parameter).toContain(parameter);
      }
    });

    it('readers share: N read grants are held at once', { timeout }, async (test) => {
      if (skipped(test, false)) return;
      const name = uniqueName('rw-share');
      const readers = [];
      for (let index = 0; index < 5; index++) {
        const lease = await readWrite(name)().read.tryAcquire();
        expect(lease, `reader ${index} beside ${index} others`).not.toBeNull();
        readers.push(lease!);
      }
      expect(readers.every((lease) => lease.held)).toBe(true);
      for (const lease of readers) await lease.release();
      expect(await leftovers(name)).toBe(0);
    });

    it('a writer excludes readers and writers, and a reader excludes writers (tryAcquire -> null)', {
      timeout,
    }, async (test) => {
      if (skipped(test, false)) return;
      const name = uniqueName('rw-exclusion');
      expect(await exclusionProbe(readWrite(name))).toEqual({
        readWhileWriting: false,
        writeWhileWriting: false,
        writeWhileReading: false,
        readWhileReading: true,
      });
      expect(await leftovers(name)).toBe(0);
    });

    it('writers never overlap any holder under many mixed contenders', {
      timeout: timeout * 2,
    }, async (test) => {
      if (skipped(test, true)) return;
      const name = uniqueName('rw-counter');
      const result = await runReadWriteCounter(readWrite(name), {
        contenders: context.contenders,
        rounds: context.rounds,
        writeEvery: 3,
      });
      const losses = lossNote(result);
      if (result.lostLeases > 0) await test.annotate(losses, 'notice');
      // Only two leases held at once fail: a grant beside a holder already told it lost is the contract.
      expect(result.overlaps, losses).toBe(0);
      expect(result.final, losses).toBe(result.expected);
      if (capabilities().fencing) expect(result.tokenRegressions, result.tokens.join(',')).toBe(0);
      expect(await leftovers(name)).toBe(0);
    });

    it('a waiting writer holds back later readers: a stream of readers never starves it', {
      timeout,
    }, async (test) => {
      if (skipped(test, true)) return;
      const name = uniqueName('rw-starve');
      const seen = await writerAmongReaders(readWrite(name), name, 5, queueDepth, enqueueDelayMs);
      expect(seen.lateTryReadGranted).toBe(false);
      // Only the reader that held before the writer arrived may be granted before it.
      expect(seen.readersBeforeWriter).toBe(1);
      expect(await leftovers(name)).toBe(0);
    });

    it('grants in arrival order across modes', { timeout }, async (test) => {
      if (skipped(test, true)) return;
      if (!capabilities().fifo) return test.skip('skipped: the backend does not declare fifo');
      const name = uniqueName('rw-fifo');
      const order = await modeGrantOrder(readWrite(name), name, MIXED_PATTERN, queueDepth, enqueueDelayMs);
      expect(order).toHaveLength(MIXED_PATTERN.length);
      expect(crossModeInversions(MIXED_PATTERN, order), `grant order ${order.join(',')}`).toBe(0);
      expect(await leftovers(name)).toBe(0);
    });

    it('issues strictly increasing tokens across both modes', { timeout }, async (test) => {
      if (skipped(test, false)) return;
      if (!capabilities().fencing) return test.skip('skipped: the backend does not declare fencing');
      const name = uniqueName('rw-tokens');
      const tokens = await tokensAcrossModes(readWrite(name));
      expect(strictlyIncreasing(tokens), tokens.join(',')).toBe(true);
      expect(await leftovers(name)).toBe(0);
    });

    it('a timed-out or aborted reader or writer leaves nothing behind', { timeout }, async (test) => {
      if (skipped(test, true)) return;
      const name = uniqueName('rw-abandon');
      const lock = readWrite(name);
      const writer = await lock().write.acquire();
      const timedOutRead = await settle(lock().read.acquire({ timeoutMs: 150 }));
      expect(LockTimeoutError.isInstance(timedOutRead.error)).toBe(true);
      const controller = new AbortController();
      const abortedWrite = settle(lock().write.acquire({ signal: controller.signal }));
      await untilQueued(queueDepth, name, 1, enqueueDelayMs);
      const reason = new Error('writer gave up');
      controller.abort(reason);
      expect((await abortedWrite).error).toBe(reason);
      await writer.release();

      const reader = await lock().read.acquire();
      const timedOutWrite = await settle(lock().write.acquire({ timeoutMs: 150 }));
      expect(LockTimeoutError.isInstance(timedOutWrite.error)).toBe(true);
      // An aborted writer must not keep holding back the readers that queued behind it.
      const readController = new AbortController();
      const queuedWriter = settle(lock().write.acquire({ signal: readController.signal }));
      await untilQueued(queueDepth, name, 1, enqueueDelayMs);
      readController.abort(reason);
      expect((await queuedWriter).error).toBe(reason);
      const secondReader = await lock().read.tryAcquire();
      expect(secondReader).not.toBeNull();
      await secondReader!.release();
      await reader.release();

      const after = await firstLease(lock().write);
      await after.release();
      expect(await leftovers(name)).toBe(0);
    });
  });
}

/** The leases a counter run saw lost, in words (for a notice and the failure messages). */
export function lossNote(result: { lostLeases: number; lostReasons: readonly string[] }): string {
  if (result.lostLeases === 0) return 'no lease was lost';
  return `${result.lostLeases} lease(s) lost while inside (allowed; grants beside them are not overlaps): ${result.lostReasons.join('; ')}`;
}

/** What `fn` threw synchronously (creation of a lock does no I/O, so bad input must throw there). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error;
  }
}
