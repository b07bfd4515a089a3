import {
  type BackendKind,
  InvalidArgumentError,
  type Lease,
  type LockProvider,
  LockTimeoutError,
} from '@lock/core';
import { ReferenceProvider } from '@lock/testkit';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { Selector } from '../src/index.js';
import { DeferredLock } from '../src/internal.js';

/** A kind whose provider is created by `create` (asynchronously, as a backend that connects first does). */
function kindModule(create: () => Promise<LockProvider>) {
  const kind: BackendKind<Record<string, never>> = {
    kind: 'slow',
    summary: 'a backend that takes its time to connect',
    packageName: 'slow-kind',
    install: 'npm install slow-kind',
    settings: v.strictObject({}),
    capabilities: () => new ReferenceProvider().capabilities,
    createProvider: create,
    address: () => 'slow://',
    defaultProfile: { acquireReleaseP50Ms: 1, opsPerSec: 1000, source: 'declared' },
    strongest: {},
  };
  return async () => ({ kinds: [kind] });
}

// A backend whose provider is created asynchronously (a plugin that connects first): the selector hands out
// a DeferredLock until it exists. The connection is a gate the test opens; the provider is the testkit's
// reference lock, counting its closes.
function slowBackend(onCreate?: (provider: ReferenceProvider) => Promise<void>) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const state = { created: [] as ReferenceProvider[], closed: 0, open };
  const loadModule = kindModule(async () => {
    await gate;
    const provider = new ReferenceProvider();
    const close = provider.close.bind(provider);
    provider.close = async () => {
      state.closed += 1;
      return close();
    };
    await onCreate?.(provider);
    state.created.push(provider);
    return provider;
  });
  return { state, loadModule };
}

async function selectorFor(loadModule: () => Promise<unknown>) {
  return Selector.create(
    {
      backends: { slow: { kind: 'slow', package: 'slow-kind' } },
      policies: { '*': {} },
      builtins: false,
    },
    { loadModule },
  );
}

describe('DeferredLock (a provider still being created)', () => {
  it('rejects bad input at once, without waiting for the backend', async () => {
    const { state, loadModule } = slowBackend();
    const selector = await selectorFor(loadModule);
    const lock = selector.lock('job');
    expect(lock).toBeInstanceOf(DeferredLock);
    // The gate stays shut: each of these would hang if it waited for the provider before validating.
    const bad: Array<[Promise<unknown>, string]> = [
      [lock.acquire({ timeoutMs: -1 }), 'options.timeoutMs'],
      [lock.acquire({ signal: 'stop' as unknown as AbortSignal }), 'options.signal'],
      [lock.tryAcquire({ ttlMs: 0 }), 'options.ttlMs'],
      [lock.withLock('run' as unknown as () => void), 'fn'],
      [lock.withLock(() => 1, { timeoutMs: Number.NaN }), 'options.timeoutMs'],
    ];
    for (const [call, parameter] of bad) {
      const error = await call.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).parameter).toBe(parameter);
    }
    // Bad lock options fail in lock() itself.
    expect(() => selector.lock('job', { ttlMs: -5 })).toThrow(InvalidArgumentError);
    expect(state.created).toHaveLength(0);
    state.open();
    await selector.close();
    expect(state.closed).toBe(1);
  }, 30_000);

  it('waits for the connection whatever timeoutMs (connecting is the backend answering), then grants a free lock', async () => {
    const { state, loadModule } = slowBackend();
    const selector = await selectorFor(loadModule);
    const lock = selector.lock('job');
    const acquiring = lock.acquire({ timeoutMs: 100 });
    setTimeout(() => state.open(), 300);
    const lease = await acquiring;
    expect(lease.held).toBe(true);
    const provider = (await selector.providerFor('job')) as ReferenceProvider;
    expect(state.created).toEqual([provider]);
    expect(provider.leftovers('job')).toBe(1);
    await lease.release();
    expect(provider.leftovers('job')).toBe(0);
    await selector.close();
    expect(state.closed).toBe(1);
  }, 30_000);

  it('ends the wait for the backend on the caller signal, with its reason', async () => {
    const { state, loadModule } = slowBackend();
    const selector = await selectorFor(loadModule);
    const lock = selector.lock('job');
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const pending = [
      lock.acquire({ signal: controller.signal }),
      lock.acquire({ signal: controller.signal, timeoutMs: 60_000 }),
      lock.tryAcquire({ signal: controller.signal }),
      lock.withLock(() => 'ran', { signal: controller.signal }),
    ].map((call) => call.catch((caught: unknown) => caught));
    controller.abort(reason);
    for (const outcome of await Promise.all(pending)) expect(outcome).toBe(reason);
    // An already-aborted signal fails at once too.
    expect(await lock.acquire({ signal: controller.signal }).catch((caught: unknown) => caught)).toBe(reason);

    state.open();
    const provider = (await selector.providerFor('job')) as ReferenceProvider;
    expect(provider.leftovers('job')).toBe(0);
    await selector.close();
    expect(state.closed).toBe(1);
  }, 30_000);

  it('times out in line after connecting with the caller timeoutMs, and leaves the queue', async () => {
    let holder: Lease | undefined;
    const { state, loadModule } = slowBackend(async (provider) => {
      holder = await provider.lock('job').acquire();
    });
    const selector = await selectorFor(loadModule);
    const lock = selector.lock('job');
    const waiting = lock.acquire({ timeoutMs: 400 }).catch((caught: unknown) => caught);
    setTimeout(() => state.open(), 100);
    const error = await waiting;
    expect(LockTimeoutError.isInstance(error)).toBe(true);
    expect((error as LockTimeoutError).timeoutMs).toBe(400);
    const provider = state.created[0]!;
    // Only the holder: the timed-out waiter left the queue.
    expect(provider.leftovers('job')).toBe(1);
    await holder!.release();
    expect(provider.leftovers('job')).toBe(0);

    await selector.close();
    expect(state.closed).toBe(1);
  }, 30_000);

  it('a failed creation is not cached: that lock reports it, the next selector.lock() tries again', async () => {
    let attempts = 0;
    const selector = await selectorFor(
      kindModule(async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('connection refused');
        return new ReferenceProvider();
      }),
    );
    const failed = selector.lock('job');
    await expect(failed.acquire({ timeoutMs: 5_000 })).rejects.toThrow('connection refused');
    await expect(failed.tryAcquire()).rejects.toThrow('connection refused');
    const lease = await selector.lock('job').acquire({ timeoutMs: 5_000 });
    expect(attempts).toBe(2);
    await lease.release();
    await selector.close();
  }, 30_000);

  it('does not cut a withLock body short by the deadline of its acquire', async () => {
    const { state, loadModule } = slowBackend();
    const selector = await selectorFor(loadModule);
    const lock = selector.lock('body');
    setTimeout(() => state.open(), 50);
    const result = await lock.withLock(
      async (lease) => {
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        return lease.signal.aborted ? 'aborted' : 'done';
      },
      { timeoutMs: 1_000 },
    );
    expect(result).toBe('done');
    await selector.close();
    expect(state.closed).toBe(1);
  }, 30_000);
});
