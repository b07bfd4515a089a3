// Worker threads of one service sharing one lock table: a mutex around a read-modify-write of shared
// memory, a read-write lock around a configuration, a semaphore of 2 export slots, and a worker that dies
// holding the lock. Run without arguments; `--no-lock` shows the lost updates the mutex prevents.

import { setTimeout as sleep } from 'node:timers/promises';
import { isMainThread, Worker, workerData } from 'node:worker_threads';
import { SharedMutexProvider } from '@lock/mutex';

const WORKERS = 4;
const INCREMENTS = 200;
const EXPORT_PERMITS = 2;

if (isMainThread) {
  const locked = !process.argv.includes('--no-lock');
  const provider = new SharedMutexProvider();
  // Shared memory: [0] the counter, [1] exports running now, [2] the most ever running at once.
  const memory = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));

  const start = (role) => {
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { handle: provider.handle, memory, locked, role },
    });
    provider.watch(worker); // a worker that dies holding a lock frees it, and the next lease says so
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', resolve);
    });
  };

  await Promise.all(Array.from({ length: WORKERS }, () => start('increment')));
  console.log(`counter: ${memory[0]} of ${WORKERS * INCREMENTS}`);
  console.log(`exports: at most ${memory[2]} at once (permits: ${EXPORT_PERMITS})`);

  if (locked) {
    await start('die-holding');
    await provider.lock('counter').withLock((lease) => {
      console.log(`after a worker died holding the lock: previousOwnerDied=${lease.previousOwnerDied}`);
    });
  }
  await provider.close();
} else {
  const { handle, memory, locked, role } = workerData;
  const provider = SharedMutexProvider.attach(handle);
  const counter = provider.lock('counter');
  const settings = provider.readWriteLock('settings');
  const exports = provider.semaphore('exports', EXPORT_PERMITS);

  if (role === 'die-holding') {
    await counter.acquire();
    process.exit(1); // dies inside its critical section, never releasing
  }

  const increment = async () => {
    const seen = Atomics.load(memory, 0);
    await sleep(0); // the awaited work between read and write that makes a lost update possible
    Atomics.store(memory, 0, seen + 1);
  };
  for (let i = 0; i < INCREMENTS; i++) {
    if (locked) await counter.withLock(increment);
    else await increment();
    // Many readers at once; a writer alone.
    if (i % 50 === 0) await settings.write.withLock(() => sleep(1));
    else await settings.read.withLock(() => {});
  }
  // At most EXPORT_PERMITS exports at once across all workers.
  for (let i = 0; i < 5; i++) {
    await exports.withLock(async () => {
      const running = Atomics.add(memory, 1, 1) + 1;
      let most = Atomics.load(memory, 2);
      while (running > most && Atomics.compareExchange(memory, 2, most, running) !== most) {
        most = Atomics.load(memory, 2);
      }
      await sleep(5);
      Atomics.sub(memory, 1, 1);
    });
  }
  await provider.close();
}
