// Takes a provider-made lock with tryAcquire in a loop and, when it gets it, does a racy read-modify-write of a
// shared counter. `shared: false` is the mutant: each worker builds its own provider, as a per-process
// provider would be.
import { parentPort, workerData } from 'node:worker_threads';
import { TryLockProvider } from '../../dist/index.js';

const { handle, shared, counter, attempts } = workerData;
const provider = shared ? TryLockProvider.open(handle) : new TryLockProvider();
const lock = provider.lock('counter');
const cells = new Int32Array(counter); // [value, inside]
let wins = 0;
let overlaps = 0;
let lastToken = 0n;
let tokenErrors = 0;
for (let attempt = 0; attempt < attempts; attempt++) {
  const lease = await lock.tryAcquire();
  if (lease === null) continue;
  if (Atomics.add(cells, 1, 1) !== 0) overlaps++;
  if (lease.token <= lastToken) tokenErrors++;
  lastToken = lease.token;
  const read = cells[0];
  let spin = 0;
  for (let index = 0; index < 200; index++) spin += index;
  cells[0] = read + 1 + (spin & 0);
  wins++;
  Atomics.sub(cells, 1, 1);
  await lease.release();
}
await provider.close();
parentPort.postMessage({ wins, overlaps, tokenErrors });
