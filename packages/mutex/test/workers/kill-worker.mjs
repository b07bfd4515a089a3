// A worker of the kill tests: read-await-write sections on a shared counter, forever. When the main thread
// arms a kill for a protocol phase (see Phase in src/shared/phase-hook.ts, or SECTION for the critical section),
// the worker that reaches that phase first, after `countdown` more passes, records itself as the victim and
// spins there until the main thread terminates it. stats[WAITING + index] is 1 while it waits for the lock.
import { threadId, workerData } from 'node:worker_threads';
import { SharedMutexProvider } from '../../dist/index.js';
import { setPhaseHook } from '../../dist/internal.js';

const { handle, stats: statsBuffer, dead: deadBuffer, index, names = 1 } = workerData;
const stats = new Int32Array(statsBuffer);
const dead = new Int32Array(deadBuffer);
// Words of `stats`, shared with kill-harness.ts.
const COUNTER = 0;
const COMPLETED = 1;
const OVERLAPS = 2;
const OCCUPANT = 3;
const TARGET = 4;
const COUNTDOWN = 5;
const VICTIM = 6;
const WAITING = 7;
const SECTION = 100;

function maybeDie(phase) {
  if (Atomics.load(stats, TARGET) !== phase) return;
  if (Atomics.sub(stats, COUNTDOWN, 1) !== 1) return;
  if (Atomics.compareExchange(stats, VICTIM, 0, threadId) !== 0) return;
  for (;;) {} // a loop back-edge: worker.terminate() lands exactly here
}

setPhaseHook(maybeDie);
const provider = SharedMutexProvider.attach(handle);
for (let round = 0; ; round++) {
  // With several names, each section also locks a name of its own choice: the table renames slots.
  const lock = provider.lock(names === 1 ? 'counter' : `counter:${(round * 7 + threadId) % names}`);
  const shared = names === 1 ? lock : provider.lock('counter');
  Atomics.store(stats, WAITING + index, 1);
  const lease = await lock.acquire();
  const outer = shared === lock ? undefined : await shared.acquire();
  Atomics.store(stats, WAITING + index, 0);
  const previous = Atomics.exchange(stats, OCCUPANT, threadId);
  if (previous !== 0 && Atomics.load(dead, previous) === 0) Atomics.add(stats, OVERLAPS, 1);
  const read = Atomics.load(stats, COUNTER);
  maybeDie(SECTION);
  await (round % 2 === 0 ? Promise.resolve() : new Promise((resolve) => setImmediate(resolve)));
  Atomics.store(stats, COUNTER, read + 1);
  Atomics.add(stats, COMPLETED, 1);
  Atomics.compareExchange(stats, OCCUPANT, threadId, 0);
  await outer?.release();
  await lease.release();
}
