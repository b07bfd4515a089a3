// Source of the worker threads of the shared-mutex suite. It is run with `new Worker(source, { eval: true })`
// so that the bench's build needs no extra entry; `@lock/mutex` is imported by the URL the suite resolved.
//
// workerData: { mode, role, mutexUrl, table, words, stamps, samples, rounds }
//   words  Int32Array over a SharedArrayBuffer: [turn, stop, occupancy, overlaps, handoffs, futex, futexWaiters,
//          -, queued[0], queued[1], started, -, last holder, thread switches]
//   stamps BigInt64Array: [stamp] (process.hrtime.bigint(), one clock for every thread of the process)
// Modes:
//   raw-pingpong   the floor: two threads hand a turn word back and forth with Atomics.waitAsync / notify
//   lock-pingpong  two threads alternate on one SharedMutex; each handoff goes to a sleeping waiter
//   (both wait in blocking Atomics.wait for the other to be queued: allowed in workers, never on main)
//   lock-throughput / futex-throughput  loop acquire, check occupancy, release until told to stop
export const SHARED_BENCH_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const TURN = 0, STOP = 1, OCCUPANCY = 2, OVERLAPS = 3, COUNT = 4, FUTEX = 5, FUTEX_WAITERS = 6, QUEUED = 8, STARTED = 10, LAST_HOLDER = 12, SWITCHES = 13;
// A pending Atomics.waitAsync does not keep a Node thread alive: hold a timer for the whole run.
const keepAlive = setInterval(() => {}, 1 << 30);
(async () => {
  const { mode, role, mutexUrl, table, words: wordsBuffer, stamps: stampsBuffer, rounds } = workerData;
  const words = new Int32Array(wordsBuffer);
  const stamps = new BigInt64Array(stampsBuffer);
  const samples = [];
  let ops = 0;
  const enter = () => {
    if (Atomics.add(words, OCCUPANCY, 1) !== 0) Atomics.add(words, OVERLAPS, 1);
    // Count grants that change thread: a fair lock hands over on every grant, an unfair one rarely.
    if (Atomics.exchange(words, LAST_HOLDER, role + 1) !== role + 1) Atomics.add(words, SWITCHES, 1);
  };
  const leave = () => { Atomics.sub(words, OCCUPANCY, 1); };
  const other = 1 - role;
  // Strict alternation: the holder hands over only once the other thread is asleep waiting for it
  // (flag QUEUED + role, set right after the wait was registered), so every sample is one handoff to
  // a sleeping waiter: the releaser's stamp -> the waiter running its own code.
  const waitForQueued = (who) => {
    while (Atomics.load(words, QUEUED + who) === 0) Atomics.wait(words, QUEUED + who, 0, 50);
    Atomics.store(words, QUEUED + who, 0);
  };
  const flagQueued = () => {
    Atomics.store(words, QUEUED + role, 1);
    Atomics.notify(words, QUEUED + role);
  };
  if (mode === 'raw-pingpong') {
    // The floor: a turn word handed back and forth with Atomics.waitAsync / notify.
    for (;;) {
      if (Atomics.load(words, TURN) !== role) {
        const wait = Atomics.waitAsync(words, TURN, other);
        flagQueued();
        if (wait.async) await wait.value;
        if (Atomics.load(words, TURN) !== role) continue;
        samples.push(Number(process.hrtime.bigint() - Atomics.load(stamps, 0)));
      }
      if (Atomics.add(words, COUNT, 1) >= rounds) {
        Atomics.store(words, TURN, other);
        Atomics.notify(words, TURN);
        break;
      }
      waitForQueued(other);
      Atomics.store(stamps, 0, process.hrtime.bigint());
      Atomics.store(words, TURN, other);
      Atomics.notify(words, TURN);
    }
  } else if (mode === 'lock-pingpong') {
    const { SharedMutexProvider } = require(mutexUrl);
    const lock = SharedMutexProvider.attach(table).lock('bench');
    let lease;
    if (role === 0) {
      lease = await lock.acquire();
      Atomics.store(words, STARTED, 1);
      Atomics.notify(words, STARTED);
    } else {
      while (Atomics.load(words, STARTED) === 0) Atomics.wait(words, STARTED, 0, 50);
      const pending = lock.acquire();
      flagQueued();
      lease = await pending;
      samples.push(Number(process.hrtime.bigint() - Atomics.load(stamps, 0)));
    }
    for (;;) {
      enter();
      ops++;
      leave();
      if (Atomics.add(words, COUNT, 1) >= rounds) {
        await lease.release();
        break;
      }
      waitForQueued(other);
      Atomics.store(stamps, 0, process.hrtime.bigint());
      await lease.release();
      const pending = lock.acquire();
      flagQueued();
      lease = await pending;
      samples.push(Number(process.hrtime.bigint() - Atomics.load(stamps, 0)));
    }
  } else if (mode === 'lock-throughput') {
    const { SharedMutexProvider } = require(mutexUrl);
    const lock = SharedMutexProvider.attach(table).lock('bench');
    while (Atomics.load(words, STOP) === 0) {
      const lease = await lock.acquire();
      enter();
      ops++;
      leave();
      await lease.release();
    }
  } else if (mode === 'futex-throughput') {
    // A bare futex-style lock: CAS 0 -> 1, else sleep with waitAsync; unlock stores 0 and notifies
    // when someone flagged itself. No queue, no fairness, no tokens, no recovery: the floor.
    while (Atomics.load(words, STOP) === 0) {
      while (Atomics.compareExchange(words, FUTEX, 0, 1) !== 0) {
        Atomics.add(words, FUTEX_WAITERS, 1);
        const wait = Atomics.waitAsync(words, FUTEX, 1);
        if (wait.async) await wait.value;
        Atomics.sub(words, FUTEX_WAITERS, 1);
      }
      enter();
      ops++;
      leave();
      Atomics.store(words, FUTEX, 0);
      if (Atomics.load(words, FUTEX_WAITERS) > 0) Atomics.notify(words, FUTEX, 1);
      // Give the event loop a turn now and then, like real work between critical sections would.
      if ((ops & 255) === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  clearInterval(keepAlive);
  parentPort.postMessage({ samples, ops });
})();
`;
