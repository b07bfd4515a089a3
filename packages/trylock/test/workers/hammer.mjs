// Tries the lock in a loop and, when it gets it, does a non-atomic read-modify-write of a shared counter.
import { parentPort, workerData } from 'node:worker_threads';
import { TryLock } from '../../dist/index.js';

const { handle, counter, attempts, useLock } = workerData;
const lock = TryLock.attach(handle);
const cell = new Int32Array(counter);
let wins = 0;
let lastToken = 0n;
let tokenErrors = 0;
for (let attempt = 0; attempt < attempts; attempt++) {
  if (useLock && !lock.tryLock()) continue;
  if (useLock && lock.token <= lastToken) tokenErrors++;
  lastToken = lock.token;
  // A deliberately racy increment: plain load, some work, plain store.
  const read = cell[0];
  let spin = 0;
  for (let index = 0; index < 50; index++) spin += index;
  cell[0] = read + 1 + (spin & 0);
  wins++;
  if (useLock) lock.unlock();
}
parentPort.postMessage({ wins, tokenErrors });
