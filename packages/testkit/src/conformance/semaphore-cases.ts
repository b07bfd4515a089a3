import {
  InvalidArgumentError,
  type Lock,
  LockTimeoutError,
  PermitsMismatchError,
  UnsupportedCapabilityError,
} from '@lock/core';
import { describe, expect, it } from 'vitest';
import { firstLease, settle, strictlyIncreasing, uniqueName, untilQueued } from './checks.js';
import { runPermitCounter } from './mode-checks.js';
import { permitGrantOrder, permitsAtCapacity, permitsMismatch } from './permit-checks.js';
import { lossNote, type PrimitiveCaseContext, thrown } from './read-write-cases.js';

/** `permits` values every backend refuses, before any I/O. */
export const BAD_PERMITS: readonly unknown[] = [0, -1, 1.5, Number.NaN, '3', 1_000_001, undefined];

const NO_SEMAPHORE = 'skipped: backend declares no semaphore';
const PERMITS = 3;

/**
 * The semaphore's cases. Each skips visibly (`NO_SEMAPHORE`) unless the provider declares `semaphore`,
 * except the checks of `permits` (always) and of `UnsupportedCapabilityError` (when undeclared).
 */
export function describeSemaphoreCases(context: PrimitiveCaseContext): void {
  const { leftovers, queueDepth, enqueueDelayMs, timeout } = context;
  const capabilities = () => context.provider().capabilities;
  const semaphore =
    (name: string, permits = PERMITS) =>
    (): Lock =>
      context.provider().semaphore!(name, permits, context.lockOptions);
  const skipped = (test: { skip(note?: string): void }, waits: boolean): boolean => {
    if (capabilities().semaphore !== true) {
      test.skip(NO_SEMAPHORE);
      return true;
    }
    if (waits && capabilities().waiting === 'none') {
      test.skip('skipped: the backend never waits');
      return true;
    }
    return false;
  };

  describe('semaphore', () => {
    it('semaphore throws UnsupportedCapabilityError when semaphore is not declared', (test) => {
      if (capabilities().semaphore === true) return test.skip('skipped: backend declares semaphore');
      const provider = context.provider();
      if (provider.semaphore === undefined) return test.skip('skipped: provider has no semaphore');
      const error = thrown(() => provider.semaphore!(uniqueName('sem-unsupported'), PERMITS));
      expect(UnsupportedCapabilityError.isInstance(error)).toBe(true);
    });

    it('rejects bad permits with InvalidArgumentError naming permits, before any I/O', (test) => {
      const provider = context.provider();
      if (provider.semaphore === undefined) return test.skip('skipped: provider has no semaphore');
      for (const permits of BAD_PERMITS) {
        const error = thrown(() => provider.semaphore!(uniqueName('sem-bad'), permits as number));
        expect(InvalidArgumentError.isInstance(error), `permits ${String(permits)}`).toBe(true);
        expect((error as InvalidArgumentError).parameter).toBe('permits');
        expect((error as Error).message).toContain('permits');
      }
    });

    it(`never more than ${PERMITS} permit holders at once under many contenders, and all are granted`, {
      timeout: timeout * 2,
    }, async (test) => {
      if (skipped(test, true)) return;
      const name = uniqueName('sem-counter');
      const locks = Array.from({ length: context.contenders }, () => semaphore(name)());
      const result = await runPermitCounter(locks, context.rounds);
      const losses = lossNote(result);
      if (result.lostLeases > 0) await test.annotate(losses, 'notice');
      // Counts holders whose signal had not aborted: a lost lease's permit may go to another.
      expect(result.maxConcurrent, losses).toBeLessThanOrEqual(PERMITS);
      expect(result.granted).toBe(result.expected);
      if (capabilities().fencing) expect(result.tokenRegressions, result.tokens.join(',')).toBe(0);
      expect(await leftovers(name)).toBe(0);
    });

    it(`${PERMITS} permits are held at once, the next waits, and a release admits exactly one waiter`, {
      timeout,
    }, async (test) => {
      if (skipped(test, true)) return;
      const name = uniqueName('sem-capacity');
      expect(await permitsAtCapacity(semaphore(name), name, PERMITS, queueDepth, enqueueDelayMs)).toEqual({
        held: PERMITS,
        extraGranted: false,
        admittedAfterOneRelease: 1,
        tryAfterRelease: false,
      });
      expect(await leftovers(name)).toBe(0);
    });

    it('grants permits in arrival order', { timeout }, async (test) => {
      if (skipped(test, true)) return;
      if (!capabilities().fifo) return test.skip('skipped: the backend does not declare fifo');
      const name = uniqueName('sem-fifo');
      const order = await permitGrantOrder(semaphore(name, 2), name, 5, queueDepth, enqueueDelayMs);
      expect(order).toEqual([0, 1, 2, 3, 4]);
      expect(await leftovers(name)).toBe(0);
    });

    it('refuses other permits than the holders use with PermitsMismatchError', { timeout }, async (test) => {
      if (skipped(test, false)) return;
      const name = uniqueName('sem-mismatch');
      const seen = await permitsMismatch((permits) => semaphore(name, permits)(), PERMITS, PERMITS - 1);
      for (const error of [seen.acquireError, seen.tryError]) {
        expect(PermitsMismatchError.isInstance(error), String(error)).toBe(true);
        expect((error as PermitsMismatchError).permits).toBe(PERMITS - 1);
        expect((error as PermitsMismatchError).existingPermits).toBe(PERMITS);
        expect((error as PermitsMismatchError).lockName).toBe(name);
      }
      expect(seen.acceptedWhenFree).toBe(true);
      expect(await leftovers(name)).toBe(0);
    });

    it('issues strictly increasing tokens to permit holders', { timeout }, async (test) => {
      if (skipped(test, false)) return;
      if (!capabilities().fencing) return test.skip('skipped: the backend does not declare fencing');
      const name = uniqueName('sem-tokens');
      // Holders at the same time have distinct tokens, in grant order; a later holder's is higher still.
      const held = [];
      for (let index = 0; index < PERMITS; index++) held.push(await firstLease(semaphore(name)()));
      const tokens = held.map((lease) => lease.token);
      for (const lease of held) await lease.release();
      const later = await firstLease(semaphore(name)());
      tokens.push(later.token);
      await later.release();
      expect(strictlyIncreasing(tokens), tokens.join(',')).toBe(true);
      expect(await leftovers(name)).toBe(0);
    });

    it('a timed-out or aborted permit waiter leaves nothing behind', { timeout }, async (test) => {
      if (skipped(test, true)) return;
      const name = uniqueName('sem-abandon');
      const holders = [];
      for (let index = 0; index < PERMITS; index++) holders.push(await semaphore(name)().acquire());
      const timedOut = await settle(semaphore(name)().acquire({ timeoutMs: 150 }));
      expect(LockTimeoutError.isInstance(timedOut.error)).toBe(true);
      const controller = new AbortController();
      const aborted = settle(semaphore(name)().acquire({ signal: controller.signal }));
      await untilQueued(queueDepth, name, 1, enqueueDelayMs);
      const reason = new Error('permit no longer needed');
      controller.abort(reason);
      expect((await aborted).error).toBe(reason);
      await holders.shift()!.release();
      // The freed permit is free at once: no abandoned waiter took it.
      const next = await semaphore(name)().tryAcquire();
      expect(next).not.toBeNull();
      for (const lease of [next!, ...holders]) await lease.release();
      expect(await leftovers(name)).toBe(0);
    });
  });
}
