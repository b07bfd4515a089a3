import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { InvalidArgumentError, LockNotHeldError, ProviderClosedError } from '@lock/core';
import { describe, expect, it } from 'vitest';
import { SharedMutex, SharedMutexProvider } from '../src/index.js';
import { slotRuntimeCount } from '../src/internal.js';
import { invalidArgument } from './invalid-argument.js';

const script = new URL('./workers/shared-worker.mjs', import.meta.url);

function start(provider: SharedMutexProvider, data: Record<string, unknown>): Worker {
  const worker = new Worker(script, { workerData: { handle: provider.handle, ...data } });
  provider.watch(worker);
  return worker;
}

function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

function exited(worker: Worker): Promise<number> {
  return new Promise((resolve) => worker.once('exit', resolve));
}

async function counterRun(
  useLock: boolean,
  workers: number,
  rounds: number,
  provider = new SharedMutexProvider(),
) {
  const counter = new SharedArrayBuffer(4);
  const inside = new SharedArrayBuffer(4);
  const gate = new SharedArrayBuffer(8);
  const gateWords = new Int32Array(gate);
  const pending = Array.from({ length: workers }, () => {
    const worker = start(provider, { mode: 'counter', counter, inside, rounds, useLock, gate });
    return nextMessage<{ overlaps: number; deaths: number }>(worker);
  });
  while (Atomics.load(gateWords, 1) < workers) await new Promise((resolve) => setTimeout(resolve, 5));
  Atomics.store(gateWords, 0, 1);
  Atomics.notify(gateWords, 0);
  const results = await Promise.all(pending);
  return {
    final: new Int32Array(counter)[0]!,
    overlaps: results.reduce((sum, result) => sum + result.overlaps, 0),
    deaths: results.reduce((sum, result) => sum + result.deaths, 0),
  };
}

describe('SharedMutex across worker threads', () => {
  it('4 workers x 100,000 increments end exact with the lock; the same run without it loses increments', {
    timeout: 120_000,
  }, async () => {
    const locked = await counterRun(true, 4, 100_000);
    expect(locked.overlaps).toBe(0);
    expect(locked.final).toBe(400_000);
    // The mutant needs two threads truly in parallel; on a loaded machine one run may happen to be serial.
    let mutantFinal = 400_000;
    for (let attempt = 0; attempt < 5 && mutantFinal === 400_000; attempt++) {
      mutantFinal = (await counterRun(false, 4, 100_000)).final;
    }
    expect(mutantFinal).toBeLessThan(400_000);
  });

  it('50 workers dying inside the critical section (terminate, throw, exit) never stop the others', {
    timeout: 120_000,
  }, async () => {
    const provider = new SharedMutexProvider();
    const counter = new SharedArrayBuffer(4);
    const inside = new SharedArrayBuffer(4);
    const stop = new SharedArrayBuffer(4);
    const survivors = Array.from({ length: 3 }, () =>
      start(provider, { mode: 'counter', counter, inside, rounds: 1_000, useLock: true, stop }),
    );
    const finished = survivors.map((worker) =>
      nextMessage<{ overlaps: number; deaths: number; done: number }>(worker),
    );
    const deaths = ['terminate', 'throw', 'exit'];
    let reportedByVictims = 0;
    for (let round = 0; round < 50; round++) {
      const death = deaths[round % 3];
      const victim = start(provider, { mode: 'victim', death });
      victim.on('error', () => {}); // the 'throw' victims die with an error on purpose
      const gone = exited(victim);
      const message = await nextMessage<{ holding: boolean; previousOwnerDied: boolean }>(victim);
      expect(message.holding).toBe(true);
      if (message.previousOwnerDied) reportedByVictims++;
      if (death === 'terminate') await victim.terminate();
      else victim.postMessage('die');
      await gone;
    }
    Atomics.store(new Int32Array(stop), 0, 1);
    const results = await Promise.all(finished);
    expect(results.reduce((sum, result) => sum + result.overlaps, 0)).toBe(0);
    const done = results.reduce((sum, result) => sum + result.done, 0);
    expect(new Int32Array(counter)[0]).toBe(done);
    // Every death is reported to exactly one next holder: a survivor, the next victim, or the check below.
    const lease = await provider.lock('lock').acquire();
    const reported =
      results.reduce((sum, result) => sum + result.deaths, 0) +
      reportedByVictims +
      (lease.previousOwnerDied ? 1 : 0);
    expect(reported).toBe(50);
    await lease.release();
    await provider.close();
  });

  it("recovery bound: the lock is free as soon as the dead holder's exit event has been delivered", {
    timeout: 60_000,
  }, async () => {
    const provider = new SharedMutexProvider();
    const lock = provider.lock('lock');
    for (const death of ['terminate', 'throw', 'exit']) {
      const victim = start(provider, { mode: 'victim', death });
      victim.on('error', () => {});
      const gone = exited(victim); // registered after watch(): runs after the recovery listener
      expect((await nextMessage<{ holding: boolean }>(victim)).holding).toBe(true);
      expect(lock.isLocked).toBe(true);
      expect(await lock.tryAcquire()).toBeNull();
      if (death === 'terminate') await victim.terminate();
      else victim.postMessage('die');
      await gone;
      expect(lock.isLocked).toBe(false);
      const next = lock.tryLock();
      expect(next).toBe(true);
      expect(lock.previousOwnerDied).toBe(true);
      lock.unlock();
    }
    await provider.close();
    // The broken variant: the same death without watch() leaves the lock held for good.
    const unwatched = new SharedMutexProvider();
    const victim = new Worker(script, {
      workerData: { handle: unwatched.handle, mode: 'victim', death: 'terminate' },
    });
    const gone = exited(victim);
    expect((await nextMessage<{ holding: boolean }>(victim)).holding).toBe(true);
    await victim.terminate();
    await gone;
    expect(unwatched.lock('lock').isLocked).toBe(true);
    expect(unwatched.lock('lock').tryLock()).toBe(false);
    await unwatched.close();
  });

  it('a terminated worker that was queued is cleaned up: its ticket is skipped', {
    timeout: 60_000,
  }, async () => {
    const provider = new SharedMutexProvider();
    const lock = provider.lock('lock');
    const holder = await lock.acquire();
    const victim = start(provider, { mode: 'queued' });
    expect(await nextMessage(victim)).toBe('queued');
    const gone = exited(victim);
    await victim.terminate();
    await gone;
    await holder.release();
    expect(lock.isLocked).toBe(false);
    const next = await lock.tryAcquire();
    expect(next).not.toBeNull();
    expect(next!.previousOwnerDied).toBe(false);
    await next!.release();
    await provider.close();
  });

  it('names are separate locks in every thread: a worker takes "b" while the main thread holds "a"', {
    timeout: 60_000,
  }, async () => {
    const provider = new SharedMutexProvider();
    const heldA = await provider.lock('a').acquire();
    const worker = start(provider, { mode: 'late', name: 'b' });
    const workerGone = exited(worker);
    expect((await nextMessage<{ acquired: boolean }>(worker)).acquired).toBe(true);
    await workerGone;
    // And the same name is the same lock: a worker asking for "a" waits until the main thread releases it.
    const blocked = start(provider, { mode: 'late', name: 'a' });
    const blockedGone = exited(blocked);
    const granted = nextMessage<{ acquired: boolean }>(blocked);
    const early = await Promise.race([
      granted.then(() => 'granted'),
      new Promise((resolve) => setTimeout(resolve, 200, 'waiting')),
    ]);
    expect(early).toBe('waiting');
    await heldA.release();
    expect((await granted).acquired).toBe(true);
    await blockedGone;
    await provider.close();
  });

  it('a pending wait keeps the waiting worker alive until it is granted', { timeout: 60_000 }, async () => {
    const provider = new SharedMutexProvider();
    const holder = await provider.lock('lock').acquire();
    const worker = start(provider, { mode: 'late' });
    const message = nextMessage<{ acquired: boolean }>(worker);
    const code = exited(worker);
    const waited = new Promise((resolve) => setTimeout(resolve, 300, 'still waiting'));
    expect(await Promise.race([waited, code.then(() => 'exited early')])).toBe('still waiting');
    await holder.release();
    expect((await message).acquired).toBe(true);
    expect(await code).toBe(0);
    await provider.close();
  });

  it('never blocks the main thread: event-loop delay p99 stays low while it contends with 3 workers', {
    timeout: 120_000,
  }, async () => {
    const provider = new SharedMutexProvider();
    const counter = new SharedArrayBuffer(4);
    const inside = new SharedArrayBuffer(4);
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    const workers = Array.from({ length: 3 }, () =>
      nextMessage(start(provider, { mode: 'counter', counter, inside, rounds: 20_000, useLock: true })),
    );
    const lock = provider.lock('lock');
    let mine = 0;
    let overlaps = 0;
    const cell = new Int32Array(counter);
    const occupancy = new Int32Array(inside);
    for (let round = 0; round < 5_000; round++) {
      const lease = await lock.acquire();
      if (Atomics.add(occupancy, 0, 1) !== 0) overlaps++;
      cell[0] = cell[0]! + 1;
      Atomics.sub(occupancy, 0, 1);
      await lease.release();
      mine++;
    }
    await Promise.all(workers);
    histogram.disable();
    expect(overlaps).toBe(0);
    expect(cell[0]).toBe(65_000);
    expect(mine).toBe(5_000);
    // Behaviour, not speed: a thread that waited with Atomics.wait would stall its loop for whole hold times.
    expect(histogram.percentile(99) / 1e6).toBeLessThan(50);
    await provider.close();
  });
});

describe('SharedMutex in one thread', () => {
  it('tryLock / unlock are synchronous and owner-checked', () => {
    const mutex = new SharedMutex('sync');
    const other = SharedMutex.attach(mutex.handle, 'sync');
    expect(() => mutex.unlock()).toThrow(LockNotHeldError);
    expect(mutex.tryLock()).toBe(true);
    expect(mutex.isLocked).toBe(true);
    expect(other.tryLock()).toBe(false);
    expect(() => other.unlock()).toThrow(LockNotHeldError);
    mutex.unlock();
    expect(other.tryLock()).toBe(true);
    expect(other.token).toBe(2n);
    other.unlock();
    expect(mutex.isLocked).toBe(false);
  });

  it('rejects bad handles and options', () => {
    expect(() => SharedMutex.attach({ buffer: new ArrayBuffer(64), slot: 0 } as never)).toThrow(
      InvalidArgumentError,
    );
    expect(() => SharedMutex.attach({ buffer: new SharedArrayBuffer(64), slot: 0 })).toThrow(
      InvalidArgumentError,
    );
    const mutex = new SharedMutex();
    expect(() => SharedMutex.attach({ buffer: mutex.handle.buffer, slot: 1 })).toThrow(/handle\.slot/);
    expect(() => new SharedMutex('x', { maxThreads: 3 })).toThrow(/maxThreads/);
    expect(() => new SharedMutexProvider({ capacity: 0 })).toThrow(/capacity/);
  });

  it('bad handles and options are named with their value', () => {
    const short = invalidArgument(() => SharedMutex.attach({ buffer: new SharedArrayBuffer(8), slot: 0 }));
    expect([short.parameter, short.value]).toEqual(['handle.buffer.byteLength', 8]);
    const foreign = invalidArgument(() => SharedMutex.attach({ buffer: new SharedArrayBuffer(64), slot: 0 }));
    expect(foreign.parameter).toBe('handle.buffer');
    expect(foreign.message).toContain('0x0');
    const mutex = new SharedMutex();
    const truncated = new SharedArrayBuffer(mutex.handle.buffer.byteLength - 4);
    new Int32Array(truncated).set(new Int32Array(mutex.handle.buffer, 0, truncated.byteLength / 4));
    const wrongLength = invalidArgument(() => SharedMutex.attach({ buffer: truncated, slot: 0 }));
    expect([wrongLength.parameter, wrongLength.value]).toEqual([
      'handle.buffer.byteLength',
      truncated.byteLength,
    ]);
    const slot = invalidArgument(() => SharedMutex.attach({ buffer: mutex.handle.buffer, slot: 7 }, 'jobs'));
    expect([slot.parameter, slot.value, slot.lockName]).toEqual(['handle.slot', 7, 'jobs']);
    const threads = invalidArgument(() => new SharedMutex('x', { maxThreads: 3 }));
    expect([threads.parameter, threads.value]).toEqual(['options.maxThreads', 3]);
    const capacity = invalidArgument(() => new SharedMutexProvider({ capacity: 0 }));
    expect([capacity.parameter, capacity.value]).toEqual(['options.capacity', 0]);
  });

  it('close() rejects a waiting acquire with ProviderClosedError naming its lock', async () => {
    const provider = new SharedMutexProvider();
    const held = await provider.lock('orders').acquire();
    const waiting = provider
      .lock('orders')
      .acquire()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    await provider.close();
    const error = await waiting;
    expect(ProviderClosedError.isInstance(error)).toBe(true);
    expect((error as ProviderClosedError).lockName).toBe('orders');
    expect(held.held).toBe(false);
  });

  it('close() of one of two attachments of a table in one thread rejects its own waiters only', async () => {
    const owner = new SharedMutexProvider({ capacity: 4 });
    const first = SharedMutexProvider.attach(owner.handle);
    const second = SharedMutexProvider.attach(owner.handle);
    // The slot's runtime in this thread is made through `first`; `second` queues on the same one.
    const held = await first.lock('orders').acquire();
    const outcome = (promise: Promise<unknown>) =>
      promise.then(
        () => 'granted',
        (error: unknown) => error,
      );
    let ended = false;
    const secondWaiting = outcome(second.lock('orders').acquire()).finally(() => {
      ended = true;
    });
    const firstWaiting = outcome(first.lock('orders').acquire());
    await second.close();
    await new Promise((resolve) => setImmediate(resolve));
    // Ended by the close itself, not left waiting until the holder releases.
    expect(ended).toBe(true);
    await held.release();
    const error = await secondWaiting;
    expect(ProviderClosedError.isInstance(error), String(error)).toBe(true);
    expect((error as ProviderClosedError).lockName).toBe('orders');
    expect(await firstWaiting).toBe('granted');
    await Promise.all([first.close(), owner.close()]);
  });

  it('a standalone or attached SharedMutex refuses a misspelt option, naming the one meant', () => {
    for (const error of [
      invalidArgument(() => new SharedMutex('x', { maxHold: 5 } as never)),
      invalidArgument(() => SharedMutex.attach(new SharedMutex().handle, 'x', { maxHold: 5 } as never)),
    ]) {
      expect(error.parameter).toBe('options.maxHold');
      expect(error.expected).toContain('did you mean `maxHoldMs`?');
    }
  });

  it('standalone SharedMutex instances that are dropped do not accumulate in the thread', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const before = slotRuntimeCount();
    await (async () => {
      for (let index = 0; index < 500; index++) {
        const mutex = new SharedMutex(`drop-${index}`);
        await (await mutex.acquire()).release();
        if (mutex.tryLock()) mutex.unlock();
      }
    })();
    expect(slotRuntimeCount()).toBeGreaterThanOrEqual(before);
    // FinalizationRegistry callbacks run after a collection, on a later turn of the event loop.
    for (let round = 0; round < 50 && slotRuntimeCount() > before + 10; round++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(slotRuntimeCount()).toBeLessThanOrEqual(before + 10);
    // A live handle keeps its runtime: reopening in this thread shares the queue state.
    const kept = new SharedMutex('kept');
    const lease = await kept.acquire();
    for (let round = 0; round < 5; round++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const again = SharedMutex.attach(kept.handle, 'kept');
    expect(again.tryLock()).toBe(false);
    expect(await again.tryAcquire()).toBeNull();
    await lease.release();
    expect(again.tryLock()).toBe(true);
    again.unlock();
  });

  it('FIFO and synchronous handoff inside one thread', async () => {
    const mutex = new SharedMutex('fifo');
    const holder = await mutex.acquire();
    const order: number[] = [];
    const waiters = [0, 1, 2].map((index) =>
      mutex.acquire().then(async (lease) => {
        order.push(index);
        await lease.release();
      }),
    );
    await holder.release();
    expect(await mutex.tryAcquire()).toBeNull();
    await Promise.all(waiters);
    expect(order).toEqual([0, 1, 2]);
  });
});
