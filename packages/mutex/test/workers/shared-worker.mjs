// Worker side of the SharedMutex tests. Modes:
//   counter: `rounds` read-modify-write increments of a plain shared counter, with or without the lock
//   victim:  acquire, report 'holding', then die inside the critical section (terminate, throw or exit)
//   queued:  start an acquire that must wait, report 'queued', then wait to be terminated
//   late:    acquire (the main thread holds the lock: the pending wait alone must keep this thread alive)
import { parentPort, workerData } from 'node:worker_threads';
import { SharedMutexProvider } from '../../dist/index.js';

const { handle, mode, name = 'lock' } = workerData;
const provider = SharedMutexProvider.attach(handle);
const lock = provider.lock(name);

function racyIncrement(cell) {
  const read = cell[0];
  let spin = 0;
  for (let index = 0; index < 200; index++) spin += index;
  cell[0] = read + 1 + (spin & 0);
}

if (mode === 'counter') {
  const { counter, inside, rounds, useLock, gate, stop } = workerData;
  const cell = new Int32Array(counter);
  const occupancy = new Int32Array(inside);
  const stopFlag = stop === undefined ? undefined : new Int32Array(stop);
  if (gate !== undefined) {
    // Start together, or a fast worker finishes before the next one starts and nothing ever races.
    const gateWords = new Int32Array(gate);
    Atomics.add(gateWords, 1, 1);
    Atomics.wait(gateWords, 0, 0);
  }
  let overlaps = 0;
  let deaths = 0;
  let done = 0;
  for (
    let round = 0;
    round < rounds || (stopFlag !== undefined && Atomics.load(stopFlag, 0) === 0);
    round++
  ) {
    done++;
    const lease = useLock ? await lock.acquire() : undefined;
    if (lease?.previousOwnerDied) deaths++;
    if (Atomics.add(occupancy, 0, 1) !== 0) overlaps++;
    racyIncrement(cell);
    Atomics.sub(occupancy, 0, 1);
    await lease?.release();
  }
  parentPort.postMessage({ overlaps, deaths, done });
} else if (mode === 'victim') {
  const { death } = workerData;
  const lease = await lock.acquire();
  parentPort.postMessage({ holding: true, previousOwnerDied: lease.previousOwnerDied });
  setInterval(() => {}, 1000); // stay alive until killed
  // Die only once the parent has read 'holding' (an error event could otherwise overtake the message).
  parentPort.once('message', () => {
    if (death === 'throw') throw new Error('victim died holding the lock');
    if (death === 'exit') process.exit(3);
  });
} else if (mode === 'queued') {
  lock.acquire().then(() => parentPort.postMessage('acquired (unexpected)'));
  parentPort.postMessage('queued');
  setInterval(() => {}, 1000);
} else if (mode === 'late') {
  const lease = await lock.acquire();
  parentPort.postMessage({ acquired: true, previousOwnerDied: lease.previousOwnerDied });
  await lease.release();
}
