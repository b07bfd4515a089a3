// Takes a provider-made lock with tryAcquire in a loop and, when it gets it, does a racy read-modify-write of a
// shared counter. `shared: false` is the mutant: each worker builds its own provider, as a per-process
// provider would be. `shared: 'process'` builds it with createProvider, which finds the process's table (or
// refuses: then the worker reports { error }).
import { parentPort, workerData } from 'node:worker_threads';
import { createProvider, TryLockProvider } from '../../dist/index.js';

const { handle, shared, counter, attempts, capacity } = workerData;
let provider;
try {
  provider =
    shared === 'process'
      ? createProvider({ capacity })
      : shared
        ? TryLockProvider.attach(handle)
        : new TryLockProvider();
} catch (error) {
  parentPort.postMessage({ error: { name: error.name, message: error.message } });
}
if (provider !== undefined) await hammer(provider);

async function hammer(provider) {
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
}
