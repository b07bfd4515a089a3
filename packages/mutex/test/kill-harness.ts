// Drives test/workers/kill-worker.mjs (a mutex) or modes-kill-worker.mjs (a read-write lock, a semaphore): four
// workers do sections on a shared counter while the main thread kills one at a time, at a chosen point of the
// protocol, and replaces it.
import { Worker } from 'node:worker_threads';
import { SharedMutexProvider } from '../src/index.js';
import type { SharedTable } from '../src/internal.js';

const scripts = {
  mutex: new URL('./workers/kill-worker.mjs', import.meta.url),
  'read-write': new URL('./workers/modes-kill-worker.mjs', import.meta.url),
  semaphore: new URL('./workers/modes-kill-worker.mjs', import.meta.url),
};

// Words of the stats buffer, shared with the worker.
const COUNTER = 0;
const COMPLETED = 1;
const OVERLAPS = 2;
const TARGET = 4;
const COUNTDOWN = 5;
const VICTIM = 6;
const WAITING = 7;
const READERS = 16;
const WRITERS = 17;
const MAX_SHARED = 19;
const WRITES = 20;

/** Kill target: inside the critical section, between its read and its write. */
export const SECTION = 100;
/** Kill target: a worker waiting for the lock, at whatever point the termination finds it. */
export const WAITING_FOR_LOCK = 101;

const WORKERS = 4;

export interface KillRun {
  /** Kills to perform. */
  readonly kills: number;
  /** Targets to choose from at random, one per kill: Phase values, SECTION, WAITING_FOR_LOCK. */
  readonly targets: readonly number[];
  /** Names each section locks besides "counter" (0: only "counter"). */
  readonly names?: number;
  readonly capacity?: number;
  /** Recovery to run on a worker's exit; default `provider.watch(worker)`. */
  readonly recover?: (table: SharedTable, threadId: number) => void;
  /** What the workers lock: a mutex (default), a read-write lock (a writer every third section), a semaphore. */
  readonly kind?: 'mutex' | 'read-write' | 'semaphore';
  /** The semaphore's permits (kind 'semaphore'). */
  readonly permits?: number;
  /** A broken worker: writers that take the read lock; a semaphore that admits one permit too many. */
  readonly mutant?: 'write-as-read' | 'permits-plus-one';
  /** Sections that must complete after each kill (and before the first). */
  readonly progress: number;
  /** How long to wait for that progress before calling it a stall. */
  readonly patienceMs: number;
}

export interface KillResult {
  /** Kills performed, per target. */
  readonly kills: Record<number, number>;
  /** Index (1-based) of the kill after which no section completed, if any, and that kill's target. */
  readonly stalledAfter: number | undefined;
  readonly stalledAt: number | undefined;
  readonly counter: number;
  readonly completed: number;
  readonly overlaps: number;
  /** Kinds read-write and semaphore: sections that wrote (read-write), most shared holders seen at once. */
  readonly writes: number;
  readonly maxShared: number;
  /** Whether the main thread could still take "counter" once every worker was gone. */
  readonly lockedAtEnd: boolean;
  /** Errors a worker died of (a kill is not one). */
  readonly errors: readonly string[];
}

export async function runKills(run: KillRun): Promise<KillResult> {
  const provider = new SharedMutexProvider({ capacity: run.capacity ?? 16 });
  const stats = new Int32Array(new SharedArrayBuffer(64 * 4));
  const dead = new Int32Array(new SharedArrayBuffer(1 << 18));
  const inside = new Int32Array(new SharedArrayBuffer(1 << 18));
  const kind = run.kind ?? 'mutex';
  const workers: Worker[] = [];
  const errors: string[] = [];
  const spawn = (index: number) => {
    const worker = new Worker(scripts[kind], {
      workerData: {
        handle: provider.handle,
        stats: stats.buffer,
        dead: dead.buffer,
        inside: inside.buffer,
        index,
        names: run.names ?? 1,
        kind,
        permits: run.permits,
        mutant: run.mutant,
      },
    });
    worker.on('error', (error) => errors.push(String(error)));
    const id = worker.threadId;
    // Marked dead before recovery runs (listeners run in order), so a leftover occupant is never an overlap.
    worker.once('exit', () => {
      Atomics.store(dead, id, 1);
      // A worker of the modes script killed inside its section: its part of the occupancy goes with it.
      const was = Atomics.exchange(inside, id, 0);
      if (was !== 0) Atomics.sub(stats, was === 2 ? WRITERS : READERS, 1);
    });
    if (run.recover === undefined) provider.watch(worker);
    else worker.once('exit', () => run.recover!(provider.table, id));
    workers[index] = worker;
  };
  const progressed = async (from: number) => {
    const deadline = performance.now() + run.patienceMs;
    while (Atomics.load(stats, COMPLETED) < from + run.progress) {
      if (performance.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return true;
  };
  for (let index = 0; index < WORKERS; index++) spawn(index);
  const kills: Record<number, number> = {};
  let stalledAfter: number | undefined;
  let stalledAt: number | undefined;
  let done = 0;
  if (!(await progressed(0))) stalledAfter = 0;
  while (stalledAfter === undefined && done < run.kills) {
    const target = run.targets[Math.floor(Math.random() * run.targets.length)]!;
    const index = await chooseVictim(target, stats, workers);
    if (index === undefined) continue; // that point was not reached in time (rare phases): choose again
    const victim = workers[index]!;
    const before = Atomics.load(stats, COMPLETED);
    spawn(index);
    await victim.terminate();
    Atomics.store(stats, VICTIM, 0);
    kills[target] = (kills[target] ?? 0) + 1;
    done++;
    if (!(await progressed(before))) {
      stalledAfter = done;
      stalledAt = target;
    }
  }
  await Promise.all(workers.map((worker) => worker.terminate()));
  const last =
    kind === 'read-write'
      ? provider.readWriteLock('counter').write
      : kind === 'semaphore'
        ? provider.semaphore('counter', run.permits ?? 1)
        : provider.lock('counter');
  const lease = await last.acquire({ timeoutMs: run.patienceMs }).catch(() => undefined);
  await lease?.release();
  await provider.close();
  return {
    kills,
    stalledAfter,
    stalledAt,
    counter: Atomics.load(stats, COUNTER),
    completed: Atomics.load(stats, COMPLETED),
    overlaps: Atomics.load(stats, OVERLAPS),
    writes: Atomics.load(stats, WRITES),
    maxShared: Atomics.load(stats, MAX_SHARED),
    lockedAtEnd: lease !== undefined,
    errors,
  };
}

/** Arms a kill at `target` and returns the index of the worker stopped there (spinning), if one gets there. */
async function chooseVictim(
  target: number,
  stats: Int32Array,
  workers: Worker[],
): Promise<number | undefined> {
  if (target === WAITING_FOR_LOCK) {
    for (let attempt = 0; attempt < 500; attempt++) {
      const waiting = workers.findIndex((_, index) => Atomics.load(stats, WAITING + index) === 1);
      if (waiting >= 0) return waiting;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return undefined;
  }
  Atomics.store(stats, VICTIM, 0);
  Atomics.store(stats, COUNTDOWN, 1 + Math.floor(Math.random() * 4));
  Atomics.store(stats, TARGET, target);
  const deadline = performance.now() + 2_000;
  while (Atomics.load(stats, VICTIM) === 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  Atomics.store(stats, TARGET, 0);
  // Close the arming: a worker that passed the target check just now can no longer become a victim.
  const victim = Atomics.compareExchange(stats, VICTIM, 0, -1);
  if (victim === 0) return undefined;
  const index = workers.findIndex((worker) => worker.threadId === victim);
  return index >= 0 ? index : undefined;
}
