import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { SharedMutex, SharedMutexProvider } from '../src/index.js';
import { Phase, setPhaseHook } from '../src/internal.js';

const script = new URL('./workers/names-worker.mjs', import.meta.url);
const sameName = new URL('./workers/same-name-worker.mjs', import.meta.url);

async function churn(names: number, options: { forgetFences?: boolean } = {}) {
  const provider = new SharedMutexProvider({ capacity: 256 });
  const inside = new SharedArrayBuffer(names * 4);
  const tokens = new SharedArrayBuffer(names * 8);
  const stats = new Int32Array(new SharedArrayBuffer(32));
  const workers = Array.from({ length: 4 }, (_, index) => {
    const worker = new Worker(script, {
      workerData: { handle: provider.handle, index, names, inside, tokens, stats: stats.buffer, ...options },
    });
    provider.watch(worker);
    return new Promise<number>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', resolve);
    });
  });
  // While the workers churn through names, each keeps its "held:<index>" lease: nobody may get one.
  let heldTaken = 0;
  let heldChecks = 0;
  let finished = false;
  const exited = Promise.all(workers).finally(() => (finished = true));
  while (!finished) {
    for (let index = 0; index < 4; index++) {
      if (Atomics.load(stats, 4 + index) !== 1) continue; // not holding yet, or done
      const lease = await provider.lock(`held:${index}`).tryAcquire();
      heldChecks++;
      if (lease !== null) {
        if (Atomics.load(stats, 4 + index) === 1) heldTaken++;
        await lease.release();
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const codes = await exited;
  await provider.close();
  return {
    codes,
    overlaps: Atomics.load(stats, 0),
    tokenErrors: Atomics.load(stats, 1),
    grants: Atomics.load(stats, 2),
    heldTaken,
    heldChecks,
  };
}

async function sameNameRounds(rounds: number, ownTable: boolean) {
  const provider = new SharedMutexProvider({ capacity: 8 });
  for (let index = 0; index < 8; index++) provider.lock(`filler:${index}`); // every slot used: names rename
  const stats = new Int32Array(new SharedArrayBuffer(12));
  const barrier = new SharedArrayBuffer(8);
  const workers = Array.from({ length: 4 }, () => {
    const worker = new Worker(sameName, {
      workerData: {
        handle: provider.handle,
        rounds,
        workers: 4,
        barrier,
        stats: stats.buffer,
        widen: true,
        ownTable,
      },
    });
    return new Promise<number>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', resolve);
    });
  });
  const codes = await Promise.all(workers);
  await provider.close();
  return { codes, overlaps: Atomics.load(stats, 0), grants: Atomics.load(stats, 1) };
}

describe('SharedMutex: a table reuses the slots of idle names', () => {
  it('10,000 distinct names, twice over, from 4 threads in a 256-slot table: held names stay, tokens rise', {
    timeout: 300_000,
  }, async () => {
    const result = await churn(10_000);
    expect(result.codes).toEqual([0, 0, 0, 0]);
    expect(result.grants).toBe(80_000);
    expect(result.overlaps).toBe(0);
    expect(result.tokenErrors).toBe(0);
    expect(result.heldChecks).toBeGreaterThan(0);
    expect(result.heldTaken).toBe(0);
  });

  it('the mutant: a table that does not carry tokens over to a renamed slot gives names lower tokens', {
    timeout: 300_000,
  }, async () => {
    const result = await churn(2_000, { forgetFences: true });
    expect(result.overlaps).toBe(0);
    expect(result.tokenErrors).toBeGreaterThan(0);
  });

  it('4 threads placing the same new name in a full table at the same moment, 1,000 times: one slot, one holder', {
    timeout: 300_000,
  }, async () => {
    const placed = await sameNameRounds(1_000, false);
    expect(placed.codes).toEqual([0, 0, 0, 0]);
    expect(placed.grants).toBe(4_000);
    expect(placed.overlaps).toBe(0);
    // The mutant: a table per worker, as a name placed in two slots would be; the same check sees overlaps.
    expect((await sameNameRounds(300, true)).overlaps).toBeGreaterThan(0);
  });

  it('a name placed and retired elsewhere while a renamer is giving it a slot keeps rising tokens there', () => {
    // Renamer R gives a slot to "x" and stops after raising the record of retired tokens. Meanwhile "x" is
    // placed in another slot, granted, and that slot is given to other names (its tokens retired). When R
    // goes on, "x" lives nowhere else, so R confirms it: its slot's counter must start above those tokens.
    const provider = new SharedMutexProvider({ capacity: 3 });
    for (const name of ['a', 'b', 'c']) provider.lock(name); // every slot used, all idle
    let elsewhere = 0n;
    let stopped = false;
    setPhaseHook((phase) => {
      if (phase !== Phase.RENAMING || stopped) return;
      stopped = true;
      const meanwhile = provider.lock('x'); // R's slot is mid-rename: "x" goes to the next idle one
      for (let grant = 0; grant < 5; grant++) {
        expect(meanwhile.tryLock()).toBe(true);
        elsewhere = meanwhile.token;
        meanwhile.unlock();
      }
      provider.lock('y'); // the next idle slots go to other names, the one "x" was in included
      provider.lock('z');
    });
    let placed: SharedMutex;
    try {
      placed = provider.lock('x');
    } finally {
      setPhaseHook(undefined);
    }
    expect(stopped).toBe(true);
    expect(elsewhere).toBeGreaterThan(0n);
    expect(placed.tryLock()).toBe(true);
    expect(placed.token).toBeGreaterThan(elsewhere);
    placed.unlock();
  });

  it('in one thread: a handle follows its name to another slot; a held name keeps its slot', async () => {
    const provider = new SharedMutexProvider({ capacity: 2 });
    const early = provider.lock('a');
    const first = await early.acquire();
    const firstToken = first.token;
    await first.release();
    // "b" and "c" take both slots; "a" had to give its slot up.
    const b = await provider.lock('b').acquire();
    const c = await provider.lock('c').acquire();
    expect(() => provider.lock('a')).toThrow(/in use/);
    await c.release();
    // The early handle finds "a" again (in c's old slot) and its tokens keep rising.
    const again = await early.acquire();
    expect(again.token).toBeGreaterThan(firstToken);
    expect(await provider.lock('a').tryAcquire()).toBeNull();
    expect(early.isLocked).toBe(true);
    // A handle posted before the rename follows the name too.
    const opened = SharedMutex.attach(early.handle, 'a');
    expect(opened.tryLock()).toBe(false);
    await again.release();
    expect(opened.tryLock()).toBe(true);
    expect(opened.token).toBeGreaterThan(again.token);
    opened.unlock();
    await b.release();
    await provider.close();
  });
});
