// A worker the read-write and semaphore tests drive by messages: { op: 'acquire' | 'try' | 'release', id, ... }.
// acquire/try take `kind` ('read', 'write', 'lock', 'semaphore'), `name` and `permits`; every answer names its
// id: { id, granted: true, token } (as a string), { id, granted: false } (try found it taken), { id, error },
// { id, released }.
import { parentPort, workerData } from 'node:worker_threads';
import { SharedMutexProvider } from '../../dist/index.js';

const provider = SharedMutexProvider.attach(workerData.handle);
const leases = new Map();

function lockOf({ kind, name, permits }) {
  if (kind === 'read') return provider.readWriteLock(name).read;
  if (kind === 'write') return provider.readWriteLock(name).write;
  if (kind === 'semaphore') return provider.semaphore(name, permits);
  return provider.lock(name);
}

parentPort.on('message', async (message) => {
  const { op, id } = message;
  try {
    if (op === 'release') {
      const released = await leases.get(message.lease).release();
      parentPort.postMessage({ id, released });
      return;
    }
    const lock = lockOf(message);
    const lease =
      op === 'try' ? await lock.tryAcquire() : await lock.acquire({ timeoutMs: message.timeoutMs });
    if (lease === null) {
      parentPort.postMessage({ id, granted: false });
      return;
    }
    leases.set(id, lease);
    parentPort.postMessage({ id, granted: true, token: String(lease.token) });
  } catch (error) {
    parentPort.postMessage({ id, error: `${error.name}: ${error.message}` });
  }
});
parentPort.postMessage({ id: 'ready' });
