// Worker side of the process-table tests. It builds its provider with createProvider, as the selector and
// the CLI do, and never receives a handle. Modes:
//   count:  `rounds` read-await-write increments of a shared counter under withLock; reports 'done'
//   nested: starts a worker of `child` mode from inside this worker and relays what it reports
// Either reports { error: { name, code, message } } when createProvider refuses.
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { createProvider } from '../../dist/index.js';

const { mode, capacity, counter, rounds } = workerData;

if (mode === 'nested') {
  const child = new Worker(new URL(import.meta.url), {
    workerData: { ...workerData, mode: workerData.child },
  });
  child.once('message', (message) => parentPort.postMessage(message));
  child.once('error', (error) =>
    parentPort.postMessage({ error: { name: error.name, message: error.message } }),
  );
} else {
  let provider;
  try {
    provider = createProvider({ backend: 'shared-mutex', capacity });
  } catch (error) {
    parentPort.postMessage({ error: { name: error.name, code: error.code, message: error.message } });
  }
  if (provider !== undefined) {
    const cell = new Int32Array(counter);
    const lock = provider.lock('counter:x');
    for (let round = 0; round < rounds; round++) {
      await lock.withLock(async () => {
        const read = cell[0];
        await new Promise((resolve) => setImmediate(resolve));
        cell[0] = read + 1;
      });
    }
    await provider.close();
    parentPort.postMessage('done');
  }
}
