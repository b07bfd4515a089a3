// Worker thread of `lock demo`: runs its share of one experiment and posts a DemoReport.
import { parentPort, workerData } from 'node:worker_threads';
import { SharedMutexProvider } from '@lock/mutex';
import { TryLock } from '@lock/trylock';
import type { DemoReport, DemoTask } from './protocol.js';

const ROUND = 0;
const ATTEMPTS = 1;
const REPORTS = 2;

// A macrotask between read and write: other tasks and threads run in between, as with any real I/O.
const yieldToOthers = () => new Promise<void>((resolve) => setImmediate(resolve));

async function count(task: Extract<DemoTask, { kind: 'count' }>): Promise<DemoReport> {
  const counter = new Int32Array(task.counter);
  const lock = task.table === undefined ? undefined : SharedMutexProvider.attach(task.table).lock('counter');
  const increment = async () => {
    const lease = await lock?.acquire();
    try {
      const read = counter[0]!;
      await yieldToOthers();
      counter[0] = read + 1;
    } finally {
      await lease?.release();
    }
  };
  await Promise.all(Array.from({ length: task.increments }, increment));
  return { kind: 'count', done: task.increments };
}

function tryRounds(task: Extract<DemoTask, { kind: 'trylock' }>): DemoReport {
  const lock = TryLock.attach(task.lock);
  const control = new Int32Array(task.control);
  const executed: number[] = [];
  const failed: number[] = [];
  for (let round = 1; round <= task.rounds; round++) {
    // Blocking waits are fine in a worker: they line every worker up on the same round.
    while (Atomics.load(control, ROUND) < round) Atomics.wait(control, ROUND, round - 1, 1000);
    if (lock.tryLock()) {
      executed.push(round);
      // Hold the lock until every other worker has tried, so each round really is contended.
      Atomics.add(control, ATTEMPTS, 1);
      while (Atomics.load(control, ATTEMPTS) < task.workers) {
        Atomics.wait(control, ATTEMPTS, Atomics.load(control, ATTEMPTS), 5);
      }
      lock.unlock();
    } else {
      failed.push(round);
      Atomics.add(control, ATTEMPTS, 1);
      Atomics.notify(control, ATTEMPTS);
    }
    Atomics.add(control, REPORTS, 1);
    Atomics.notify(control, REPORTS);
  }
  return { kind: 'trylock', executed, failed };
}

async function grabOrder(task: Extract<DemoTask, { kind: 'order' }>): Promise<DemoReport> {
  const order = new Int32Array(task.order);
  const lock = task.table === undefined ? undefined : SharedMutexProvider.attach(task.table).lock('order:42');
  const won: number[] = [];
  const lost: number[] = [];
  await Promise.all(
    task.buyers.map(async (buyer) => {
      const lease = await lock?.acquire();
      try {
        const open = order[0] === 0;
        await yieldToOthers(); // check-then-act: the gap every lost race slips through
        if (open) {
          order[0] = buyer;
          Atomics.add(order, 1, 1);
          won.push(buyer);
        } else {
          lost.push(buyer);
        }
      } finally {
        await lease?.release();
      }
    }),
  );
  return { kind: 'order', won, lost };
}

async function main(): Promise<void> {
  const task = workerData as DemoTask;
  const report =
    task.kind === 'count'
      ? await count(task)
      : task.kind === 'trylock'
        ? tryRounds(task)
        : await grabOrder(task);
  parentPort!.postMessage(report);
}

void main();
