// Read-write or semaphore sections in a loop, each checking who else is inside through atomic counters.
// `role`: 'rw' takes a shared grant 9 times in 10 and the exclusive one otherwise (a write does a racy
// increment of cell 0); 'semaphore' takes a permit. `mutant`: 'write-as-read' takes the shared grant for
// writes too; a semaphore mutant is just more permits than the parent checks.
import { parentPort, workerData } from 'node:worker_threads';
import { TryLock, TrySemaphore } from '../../dist/index.js';

const { handle, cells, attempts, role, permits, mutant } = workerData;
// cells: 0 counter written by writers, 1 readers inside, 2 writers inside, 3 permit holders inside, 4 most inside
const cell = new Int32Array(cells);
const lock = role === 'rw' ? TryLock.attach(handle) : TrySemaphore.attach(handle, permits);
let writes = 0;
let overlaps = 0;
let lastToken = 0n;
let tokenErrors = 0;
const spin = (n) => {
  let total = 0;
  for (let index = 0; index < n; index++) total += index;
  return total & 0;
};
for (let attempt = 0; attempt < attempts; attempt++) {
  if (role === 'semaphore') {
    if (!lock.tryLock()) continue;
    if (lock.token <= lastToken) tokenErrors++;
    lastToken = lock.token;
    const inside = Atomics.add(cell, 3, 1) + 1;
    for (let most = Atomics.load(cell, 4); inside > most; most = Atomics.load(cell, 4)) {
      if (Atomics.compareExchange(cell, 4, most, inside) === most) break;
    }
    spin(200);
    Atomics.sub(cell, 3, 1);
    lock.unlock();
    continue;
  }
  const write = attempt % 10 === 0;
  const exclusive = write && mutant !== 'write-as-read';
  if (!(exclusive ? lock.tryLock() : lock.tryLockShared())) continue;
  if (lock.token <= lastToken) tokenErrors++;
  lastToken = lock.token;
  if (write) {
    Atomics.add(cell, 2, 1);
    if (Atomics.load(cell, 1) !== 0 || Atomics.load(cell, 2) !== 1) overlaps++;
    const read = cell[0];
    spin(100);
    cell[0] = read + 1 + spin(0);
    writes++;
    Atomics.sub(cell, 2, 1);
  } else {
    Atomics.add(cell, 1, 1);
    if (Atomics.load(cell, 2) !== 0) overlaps++;
    spin(100);
    Atomics.sub(cell, 1, 1);
  }
  if (exclusive) lock.unlock();
  else lock.unlockShared();
}
parentPort.postMessage({ writes, overlaps, tokenErrors });
