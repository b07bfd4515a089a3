// A worker of the same-name test: for each round, waits at a barrier with the other workers, then all of
// them lock the same name, new to the (full) table at that moment, and check that nobody else is inside.
// With `widen`, a renamer pauses after writing the new key, before checking for twins, so that renamers of
// the same name overlap as much as possible.
import { workerData } from 'node:worker_threads';
import { SharedMutexProvider } from '../../dist/index.js';
import { Phase, setPhaseHook } from '../../dist/internal.js';

const { handle, rounds, workers, barrier: barrierBuffer, stats: statsBuffer, widen, ownTable } = workerData;
const barrier = new Int32Array(barrierBuffer); // [arrived, generation]
const stats = new Int32Array(statsBuffer); // [overlaps, grants, inside per round...]
if (widen) {
  setPhaseHook((phase) => {
    if (phase !== Phase.RENAME_WRITTEN) return;
    const until = performance.now() + 0.05;
    while (performance.now() < until) {}
  });
}

function arrive(round) {
  if (Atomics.add(barrier, 0, 1) === (round + 1) * workers - 1) {
    Atomics.store(barrier, 1, round + 1);
    Atomics.notify(barrier, 1);
  } else {
    while (Atomics.load(barrier, 1) <= round) Atomics.wait(barrier, 1, round, 100);
  }
}

const provider = ownTable ? new SharedMutexProvider({ capacity: 8 }) : SharedMutexProvider.attach(handle);
for (let round = 0; round < rounds; round++) {
  arrive(round);
  const lease = await provider.lock(`fresh:${round}`).acquire();
  if (Atomics.add(stats, 2, 1) !== 0) Atomics.add(stats, 0, 1);
  // Stay inside a moment, or until someone else is inside too: a second holder is seen even when the
  // threads are not scheduled at the same instant (a loaded machine), at 0.3 ms per grant when none comes.
  const until = performance.now() + 0.3;
  while (Atomics.load(stats, 2) < 2 && performance.now() < until) {}
  await Promise.resolve();
  Atomics.sub(stats, 2, 1);
  Atomics.add(stats, 1, 1);
  await lease.release();
}
