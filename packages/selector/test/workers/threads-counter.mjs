// A worker that builds its own selector from the configuration it is given (as every worker of an app
// does) and adds `rounds` to a shared counter, one read-await-write under withLock each time. It reports
// 'done', or { error } when the selector refuses to hand it a lock.
import { parentPort, workerData } from 'node:worker_threads';
import { Selector } from '../../dist/index.js';

const { config, counter, rounds } = workerData;
const cell = new Int32Array(counter);
const selector = await Selector.create(config);
try {
  const lock = selector.lock('counter:total');
  for (let round = 0; round < rounds; round++) {
    await lock.withLock(async () => {
      const read = cell[0];
      await new Promise((resolve) => setImmediate(resolve));
      cell[0] = read + 1;
    });
  }
  parentPort.postMessage('done');
} catch (error) {
  parentPort.postMessage({ error: { name: error.name, message: error.message } });
} finally {
  await selector.close();
}
