import {
  InvalidArgumentError,
  LockLostError,
  LockNotHeldError,
  type LockOptions,
  type LockProvider,
  LockTimeoutError,
  ProviderClosedError,
} from '@lock/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BAD_ACQUIRE_OPTIONS, BAD_LOCK_OPTIONS, BAD_NAMES } from './bad-input.js';
import {
  firstLease,
  grantOrder,
  lostGrantCheck,
  releaseKeepsLaterHolder,
  runCounter,
  settle,
  sleep,
  strictlyIncreasing,
  uniqueName,
  untilQueued,
} from './checks.js';
import type { ConformanceOptions } from './conformance-options.js';
import { describeReadWriteCases, lossNote } from './read-write-cases.js';
import { describeSemaphoreCases } from './semaphore-cases.js';

export type { ConformanceOptions };

/**
 * The conformance suite: one call per backend, parameterised by the capabilities the backend declares
 * (it skips by capability, visibly, never forks). Every rule of the contract is checked here: the exclusive
 * lock's, then the read-write lock's (`capabilities.readWrite`) and the semaphore's (`capabilities.semaphore`);
 * a backend that declares neither sees those cases skipped, and checked to refuse with
 * `UnsupportedCapabilityError`.
 */
export function describeConformance(options: ConformanceOptions): void {
  const enqueueDelayMs = options.enqueueDelayMs ?? 50;
  const contenders = options.contenders ?? 10;
  const rounds = options.rounds ?? 5;
  const lossTimeoutMs = options.lossTimeoutMs ?? 15_000;
  const timeout = options.testTimeoutMs ?? 30_000;

  describe(`conformance: ${options.name}`, () => {
    let provider: LockProvider;
    const lock = (name: string) => provider.lock(name, options.lockOptions);
    // Without a leftovers hook the suite still checks behaviour (the lock is free at once), not entries.
    const leftovers = async (name: string) => (options.leftovers ? options.leftovers(name, provider) : 0);
    const queueDepth = options.queueDepth && ((name: string) => options.queueDepth!(name, provider));

    beforeAll(async () => {
      provider = await options.createProvider();
    });
    afterAll(async () => {
      await provider?.close();
    });

    it('declares well-formed capabilities', () => {
      const capabilities = provider.capabilities;
      expect(typeof capabilities.backend).toBe('string');
      expect(['process', 'threads', 'host', 'cluster']).toContain(capabilities.scope);
      expect(['memory', 'single-node', 'replicated-async', 'consensus']).toContain(capabilities.durability);
      expect(['queue', 'push', 'none']).toContain(capabilities.waiting);
      expect(typeof capabilities.fifo).toBe('boolean');
      expect(typeof capabilities.fencing).toBe('boolean');
      expect(typeof capabilities.leases).toBe('boolean');
      if (capabilities.waiting === 'none') expect(capabilities.fifo).toBe(false);
    });

    it('keeps a read-wait-write counter exact under many concurrent contenders', {
      timeout: timeout * 2,
    }, async (context) => {
      const name = uniqueName('counter');
      const mode = provider.capabilities.waiting === 'none' ? 'try' : 'acquire';
      const result = await runCounter(
        Array.from({ length: contenders }, () => lock(name)),
        { rounds, mode },
      );
      const losses = lossNote(result);
      if (result.lostLeases > 0) await context.annotate(losses, 'notice');
      // Counts holders whose signal had not aborted: a lost lease's lock may go to the next waiter.
      expect(result.maxConcurrent, losses).toBe(1);
      expect(result.final, losses).toBe(result.expected);
      if (provider.capabilities.fencing) expect(strictlyIncreasing(result.tokens)).toBe(true);
      expect(await leftovers(name)).toBe(0);
    });

    it('grants waiters in arrival order', { timeout }, async (context) => {
      if (!provider.capabilities.fifo) return context.skip('the backend does not declare fifo');
      const name = uniqueName('fifo');
      const order = await grantOrder(provider, name, 5, enqueueDelayMs, queueDepth);
      expect(order).toEqual([0, 1, 2, 3, 4]);
      expect(await leftovers(name)).toBe(0);
    });

    it('tryAcquire takes a free lock and never waits for a holder', { timeout }, async () => {
      const name = uniqueName('try');
      const first = await lock(name).tryAcquire();
      expect(first).not.toBeNull();
      // If tryAcquire waited, it would wait for a holder that only releases after it settles: a hang.
      const second = await lock(name).tryAcquire();
      expect(second).toBeNull();
      expect(await first!.release()).toBe(true);
      const third = await lock(name).tryAcquire();
      expect(third).not.toBeNull();
      await third!.release();
      expect(await leftovers(name)).toBe(0);
    });

    it('acquire with timeoutMs 0 does not wait for a holder', { timeout }, async () => {
      const name = uniqueName('zero');
      const holder = await firstLease(lock(name));
      const attempt = await settle(lock(name).acquire({ timeoutMs: 0 }));
      expect(LockTimeoutError.isInstance(attempt.error)).toBe(true);
      await holder.release();
      expect(await leftovers(name)).toBe(0);
    });

    it('times out with LockTimeoutError and leaves nothing behind', { timeout }, async (context) => {
      if (provider.capabilities.waiting === 'none') return context.skip('the backend never waits');
      const name = uniqueName('timeout');
      const holder = await lock(name).acquire();
      const attempt = await settle(lock(name).acquire({ timeoutMs: 150 }));
      expect(LockTimeoutError.isInstance(attempt.error)).toBe(true);
      expect((attempt.error as LockTimeoutError).timeoutMs).toBe(150);
      expect((attempt.error as LockTimeoutError).lockName).toBe(name);
      await holder.release();
      // The timed-out waiter must not hold or block the lock: it is free at once.
      const next = await lock(name).tryAcquire();
      expect(next).not.toBeNull();
      await next!.release();
      expect(await leftovers(name)).toBe(0);
    });

    it('rejects an already aborted signal with its reason', { timeout }, async () => {
      const name = uniqueName('pre-abort');
      const reason = new Error('caller gave up');
      const attempt = await settle(lock(name).acquire({ signal: AbortSignal.abort(reason) }));
      expect(attempt.error).toBe(reason);
      const tryAttempt = await settle(lock(name).tryAcquire({ signal: AbortSignal.abort(reason) }));
      expect(tryAttempt.error).toBe(reason);
      expect(await leftovers(name)).toBe(0);
    });

    it('abort rejects a waiter with the signal reason and leaves nothing behind', {
      timeout,
    }, async (context) => {
      if (provider.capabilities.waiting === 'none') return context.skip('the backend never waits');
      const name = uniqueName('abort');
      const holder = await lock(name).acquire();
      const controller = new AbortController();
      const waiting = settle(lock(name).acquire({ signal: controller.signal }));
      await untilQueued(queueDepth, name, 1, enqueueDelayMs);
      const reason = new Error('request cancelled');
      controller.abort(reason);
      expect((await waiting).error).toBe(reason);
      await holder.release();
      const next = await lock(name).tryAcquire();
      expect(next).not.toBeNull();
      await next!.release();
      expect(await leftovers(name)).toBe(0);
    });

    it('release is idempotent and never releases a later holder', { timeout }, async () => {
      const name = uniqueName('release');
      expect(await releaseKeepsLaterHolder(provider, name, options.lockOptions)).toEqual({
        firstRelease: true,
        secondRelease: false,
        staleRelease: false,
        laterHolderKept: true,
      });
      expect(await leftovers(name)).toBe(0);
    });

    it('issues strictly increasing tokens across holders', { timeout }, async (context) => {
      if (!provider.capabilities.fencing) return context.skip('the backend does not declare fencing');
      const name = uniqueName('tokens');
      const tokens: bigint[] = [];
      for (let index = 0; index < 5; index++) {
        const lease = await firstLease(lock(name));
        expect(typeof lease.token).toBe('bigint');
        tokens.push(lease.token);
        await lease.release();
      }
      expect(strictlyIncreasing(tokens)).toBe(true);
    });

    it('a held lease renews itself past its TTL', {
      timeout: timeout + (options.renewal?.holdMs ?? 0),
    }, async (context) => {
      const renewal = options.renewal;
      if (renewal === undefined)
        return context.skip('no renewal settings: grants of this backend do not expire');
      const name = uniqueName('renewal');
      const lease = await lock(name).acquire({ ttlMs: renewal.ttlMs });
      await sleep(renewal.holdMs);
      expect(lease.signal.aborted).toBe(false);
      expect(lease.held).toBe(true);
      expect(await lock(name).tryAcquire()).toBeNull();
      expect(await lease.release()).toBe(true);
      expect(await leftovers(name)).toBe(0);
    });

    it('a lost grant aborts lease.signal with LockLostError; extend then throws it and release is harmless', {
      timeout: timeout + lossTimeoutMs,
    }, async (context) => {
      if (options.loseGrant === undefined)
        return context.skip('no loseGrant hook: the backend cannot be made to lose a grant');
      const name = uniqueName('lost');
      const check = await lostGrantCheck(
        provider,
        name,
        options.loseGrant,
        lossTimeoutMs,
        options.lockOptions,
      );
      expect(LockLostError.isInstance(check.reason)).toBe(true);
      expect((check.reason as LockLostError).lockName).toBe(name);
      expect(check.heldAfterLoss).toBe(false);
      expect(LockLostError.isInstance(check.extendError)).toBe(true);
      // Someone else can take the lock, and the lost holder's release must not free it.
      expect(check.staleRelease).toBe(false);
      expect(check.successorKept).toBe(true);
      expect(await leftovers(name)).toBe(0);
    });

    it('extend after release throws LockNotHeldError', { timeout }, async () => {
      const lease = await firstLease(lock(uniqueName('extend')));
      await lease.release();
      expect(LockNotHeldError.isInstance((await settle(lease.extend())).error)).toBe(true);
    });

    it('await using releases at the end of the block', { timeout }, async () => {
      const name = uniqueName('using');
      {
        await using lease = await firstLease(lock(name));
        expect(lease.held).toBe(true);
        expect(await lock(name).tryAcquire()).toBeNull();
      }
      const after = await lock(name).tryAcquire();
      expect(after).not.toBeNull();
      await after!.release();
    });

    it('withLock returns the result, and releases on return and on throw', { timeout }, async () => {
      const name = uniqueName('with');
      const useAcquire = provider.capabilities.waiting !== 'none';
      const options = useAcquire ? undefined : { timeoutMs: 0 };
      expect(await lock(name).withLock(async (lease) => lease.held, options)).toBe(true);
      const failure = new Error('critical section failed');
      expect((await settle(lock(name).withLock(() => Promise.reject(failure), options))).error).toBe(failure);
      const after = await lock(name).tryAcquire();
      expect(after).not.toBeNull();
      await after!.release();
      expect(await leftovers(name)).toBe(0);
    });

    it('rejects bad names and options with InvalidArgumentError naming the parameter', {
      timeout,
    }, async () => {
      for (const name of BAD_NAMES) {
        const attempt = await settle(() => provider.lock(name as string));
        expect(InvalidArgumentError.isInstance(attempt.error), `name ${String(name).slice(0, 20)}`).toBe(
          true,
        );
        expect((attempt.error as InvalidArgumentError).parameter).toContain('name');
      }
      for (const [lockOptions, parameter] of BAD_LOCK_OPTIONS) {
        const attempt = await settle(() => provider.lock(uniqueName('bad'), lockOptions as LockOptions));
        expect(InvalidArgumentError.isInstance(attempt.error), JSON.stringify(lockOptions)).toBe(true);
        expect((attempt.error as InvalidArgumentError).parameter).toContain(parameter);
      }
      const target = lock(uniqueName('bad-acquire'));
      for (const [acquireOptions, parameter] of BAD_ACQUIRE_OPTIONS) {
        const attempt = await settle(() => target.acquire(acquireOptions as never));
        expect(InvalidArgumentError.isInstance(attempt.error), String(JSON.stringify(acquireOptions))).toBe(
          true,
        );
        expect((attempt.error as InvalidArgumentError).parameter).toContain(parameter);
        expect((attempt.error as Error).message).toContain(parameter);
      }
      const badTry = await settle(() => target.tryAcquire({ signal: 'no' as never }));
      expect(InvalidArgumentError.isInstance(badTry.error)).toBe(true);
      const badFn = await settle(() => target.withLock('not a function' as never));
      expect((badFn.error as InvalidArgumentError).parameter).toBe('fn');
      const lease = await firstLease(target);
      const badExtend = await settle(() => lease.extend(-1));
      expect((badExtend.error as InvalidArgumentError).parameter).toBe('ttlMs');
      await lease.release();
    });

    it('close ends held leases (reason closed) and rejects later use with ProviderClosedError', {
      timeout,
    }, async () => {
      const closing = await options.createProvider();
      const before = closing.lock(uniqueName('closed'), options.lockOptions);
      const held = await firstLease(closing.lock(uniqueName('closed-held'), options.lockOptions));
      await closing.close();
      expect(held.held).toBe(false);
      expect(LockLostError.isInstance(held.signal.reason)).toBe(true);
      expect((held.signal.reason as LockLostError).reason).toBe('closed');
      await closing.close();
      expect(
        ProviderClosedError.isInstance((await settle(() => closing.lock(uniqueName('closed')))).error),
      ).toBe(true);
      expect(ProviderClosedError.isInstance((await settle(before.acquire({ timeoutMs: 0 }))).error)).toBe(
        true,
      );
    });

    const primitives = {
      provider: () => provider,
      leftovers,
      queueDepth,
      enqueueDelayMs,
      contenders,
      rounds,
      lockOptions: options.lockOptions,
      timeout,
    };
    describeReadWriteCases(primitives);
    describeSemaphoreCases(primitives);
  });
}
