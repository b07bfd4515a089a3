// A worker of the read-write and semaphore kill tests: sections on one name, forever, as a reader or a writer
// of a read-write lock (kind 'read-write': a writer reads, awaits and writes back a shared counter) or as a
// permit holder of a semaphore (kind 'semaphore'). Occupancy is counted in `stats` and recorded per thread in
// `inside`, so the main thread can take a terminated worker's part out before recovery lets others in. When
// the main thread arms a kill for a protocol phase (or SECTION), the first worker to reach it spins there
// until it is terminated, as in kill-worker.mjs.
import { threadId, workerData } from 'node:worker_threads';
import { SharedMutexProvider } from '../../dist/index.js';
import { setPermitSlack, setPhaseHook } from '../../dist/internal.js';

const { handle, stats: statsBuffer, inside: insideBuffer, index, kind, permits, mutant } = workerData;
const stats = new Int32Array(statsBuffer);
const inside = new Int32Array(insideBuffer);
// Words of `stats`, shared with kill-harness.ts.
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
const SECTION = 100;
// inside[threadId]: what a thread is inside as.
const AS_READER = 1;
const AS_WRITER = 2;

function maybeDie(phase) {
  if (Atomics.load(stats, TARGET) !== phase) return;
  if (Atomics.sub(stats, COUNTDOWN, 1) !== 1) return;
  if (Atomics.compareExchange(stats, VICTIM, 0, threadId) !== 0) return;
  for (;;) {} // a loop back-edge: worker.terminate() lands exactly here
}

function raiseMax(value) {
  for (let seen = Atomics.load(stats, MAX_SHARED); value > seen; seen = Atomics.load(stats, MAX_SHARED)) {
    if (Atomics.compareExchange(stats, MAX_SHARED, seen, value) === seen) return;
  }
}

setPhaseHook(maybeDie);
if (mutant === 'permits-plus-one') setPermitSlack(1);
const provider = SharedMutexProvider.attach(handle);
const rw = kind === 'read-write' ? provider.readWriteLock('counter') : undefined;
const semaphore = kind === 'semaphore' ? provider.semaphore('counter', permits) : undefined;
for (let round = 0; ; round++) {
  // A writer every third section of each worker; a mutant writer takes the read lock.
  const writing = rw !== undefined && (round + index) % 3 === 0;
  const lock = rw === undefined ? semaphore : writing && mutant !== 'write-as-read' ? rw.write : rw.read;
  Atomics.store(stats, WAITING + index, 1);
  const lease = await lock.acquire();
  Atomics.store(stats, WAITING + index, 0);
  if (writing) {
    const writers = Atomics.add(stats, WRITERS, 1);
    Atomics.store(inside, threadId, AS_WRITER);
    if (writers !== 0 || Atomics.load(stats, READERS) !== 0) Atomics.add(stats, OVERLAPS, 1);
  } else {
    const shared = Atomics.add(stats, READERS, 1) + 1;
    Atomics.store(inside, threadId, AS_READER);
    raiseMax(shared);
    if (Atomics.load(stats, WRITERS) !== 0) Atomics.add(stats, OVERLAPS, 1);
    if (semaphore !== undefined && shared > permits) Atomics.add(stats, OVERLAPS, 1);
  }
  const read = Atomics.load(stats, COUNTER);
  maybeDie(SECTION);
  // A mutant holds for a millisecond, so that holders meet whatever the machine's timing: its red must not
  // depend on luck.
  await (mutant !== undefined
    ? new Promise((resolve) => setTimeout(resolve, 1))
    : round % 2 === 0
      ? Promise.resolve()
      : new Promise((resolve) => setImmediate(resolve)));
  if (writing) {
    Atomics.store(stats, COUNTER, read + 1);
    Atomics.add(stats, WRITES, 1);
  }
  Atomics.add(stats, COMPLETED, 1);
  Atomics.store(inside, threadId, 0);
  Atomics.sub(stats, writing ? WRITERS : READERS, 1);
  await lease.release();
}
