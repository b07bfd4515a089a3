// The classic lock experiments, run for real: async tasks on one thread and worker threads, no server.
import { Worker } from 'node:worker_threads';
import { Mutex, SharedMutexProvider } from '@lock/mutex';
import { TryLock } from '@lock/trylock';
import type { DemoReport, DemoTask } from './protocol.js';

/** Settings of one demo run. */
export interface DemoSettings {
  /** Concurrent increments per counter experiment. */
  increments: number;
  /** Worker threads. */
  workers: number;
  /** TryLock rounds. */
  rounds: number;
  /** Buyers in the order-grab race. */
  buyers: number;
}

/** The outcome of one experiment: one row of the table. */
export interface ExperimentResult {
  /** Short id, stable for `--json` consumers. */
  id: string;
  /** What ran. */
  title: string;
  /** `none`, `Mutex`, `SharedMutex` or `TryLock`. */
  lock: string;
  /** Where it ran. */
  threads: string;
  /** What a correct run gives. */
  expected: number;
  /** What this run gave. */
  actual: number;
  /** True when actual equals expected. */
  correct: boolean;
  /** True for runs under a lock: an incorrect locked run fails the demo. */
  locked: boolean;
  /** One line in words. */
  detail: string;
  /** Wall time in ms. */
  ms: number;
}

/** Reports progress (the caller prints it on a TTY only). */
export type Progress = (step: number, total: number, title: string) => void;

const yieldToOthers = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The worker script, bundled next to this file by the CLI's tsup build. */
function workerUrl(): URL {
  return new URL('./demo-worker.js', import.meta.url);
}

function runWorker(task: DemoTask, provider?: SharedMutexProvider): Promise<DemoReport> {
  const worker = new Worker(workerUrl(), { workerData: task });
  // If a worker died holding the shared lock, the others would still finish: the lock is recovered.
  provider?.watch(worker);
  return new Promise<DemoReport>((resolve, reject) => {
    worker.once('message', (report: DemoReport) => resolve(report));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`demo worker exited with code ${code}`));
    });
  });
}

/** Splits `total` into `parts` shares that differ by at most one. */
function shares(total: number, parts: number): number[] {
  return Array.from(
    { length: parts },
    (_, index) => Math.floor(total / parts) + (index < total % parts ? 1 : 0),
  );
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: Math.round(performance.now() - started) };
}

function countResult(
  id: string,
  title: string,
  lock: string,
  threads: string,
  expected: number,
  actual: number,
  ms: number,
): ExperimentResult {
  const lost = expected - actual;
  const locked = lock !== 'none';
  const detail =
    lost === 0
      ? locked
        ? 'exact'
        : 'happened to be exact this time (the race is still there)'
      : `${lost} of ${expected} increments lost (${((lost / expected) * 100).toFixed(1)}%)`;
  return { id, title, lock, threads, expected, actual, correct: lost === 0, locked, detail, ms };
}

async function inProcessCount(increments: number, mutex: Mutex | undefined): Promise<number> {
  let counter = 0;
  const increment = async () => {
    const lease = await mutex?.acquire();
    try {
      const read = counter;
      await yieldToOthers();
      counter = read + 1;
    } finally {
      await lease?.release();
    }
  };
  await Promise.all(Array.from({ length: increments }, increment));
  return counter;
}

async function workerCount(settings: DemoSettings, locked: boolean): Promise<number> {
  const counter = new SharedArrayBuffer(4);
  const provider = locked ? new SharedMutexProvider({ capacity: 4 }) : undefined;
  await Promise.all(
    shares(settings.increments, settings.workers).map((increments) =>
      runWorker(
        {
          kind: 'count',
          lock: locked ? 'shared-mutex' : 'none',
          table: provider?.handle,
          counter,
          increments,
        },
        provider,
      ),
    ),
  );
  await provider?.close();
  return new Int32Array(counter)[0]!;
}

async function tryLockRounds(settings: DemoSettings): Promise<{ perRound: number[]; failed: number }> {
  const lock = new TryLock();
  const control = new SharedArrayBuffer(12);
  const words = new Int32Array(control);
  const reports = Array.from({ length: settings.workers }, () =>
    runWorker({
      kind: 'trylock',
      lock: lock.handle,
      control,
      rounds: settings.rounds,
      workers: settings.workers,
    }),
  );
  for (let round = 1; round <= settings.rounds; round++) {
    Atomics.store(words, 1, 0);
    Atomics.store(words, 2, 0);
    Atomics.store(words, 0, round);
    Atomics.notify(words, 0);
    while (Atomics.load(words, 2) < settings.workers) await sleep(1);
  }
  const results = (await Promise.all(reports)) as Extract<DemoReport, { kind: 'trylock' }>[];
  const perRound = Array.from({ length: settings.rounds }, () => 0);
  let failed = 0;
  for (const result of results) {
    for (const round of result.executed) perRound[round - 1]! += 1;
    failed += result.failed.length;
  }
  return { perRound, failed };
}

async function orderGrab(
  settings: DemoSettings,
  locked: boolean,
): Promise<{ winners: number; owner: number }> {
  const order = new SharedArrayBuffer(8);
  const provider = locked ? new SharedMutexProvider({ capacity: 4 }) : undefined;
  const buyerIds = Array.from({ length: settings.buyers }, (_, index) => index + 1);
  const perWorker = Array.from({ length: settings.workers }, (_, worker) =>
    buyerIds.filter((_, index) => index % settings.workers === worker),
  ).filter((buyers) => buyers.length > 0);
  await Promise.all(
    perWorker.map((buyers) =>
      runWorker(
        { kind: 'order', lock: locked ? 'shared-mutex' : 'none', table: provider?.handle, order, buyers },
        provider,
      ),
    ),
  );
  await provider?.close();
  const words = new Int32Array(order);
  return { winners: words[1]!, owner: words[0]! };
}

/** Runs every experiment in order and returns one row per experiment. */
export async function runExperiments(
  settings: DemoSettings,
  progress: Progress,
): Promise<ExperimentResult[]> {
  const { increments, workers, rounds, buyers } = settings;
  const threads = `${workers} worker threads`;
  const steps: [string, () => Promise<ExperimentResult>][] = [
    [
      'counter, no lock, one thread',
      async () => {
        const { value, ms } = await timed(() => inProcessCount(increments, undefined));
        return countResult(
          'count-none-async',
          `${increments} concurrent increments`,
          'none',
          '1 thread, async tasks',
          increments,
          value,
          ms,
        );
      },
    ],
    [
      'counter, Mutex, one thread',
      async () => {
        const { value, ms } = await timed(() => inProcessCount(increments, new Mutex('counter')));
        return countResult(
          'count-mutex',
          `${increments} concurrent increments`,
          'Mutex',
          '1 thread, async tasks',
          increments,
          value,
          ms,
        );
      },
    ],
    [
      'counter, no lock, worker threads',
      async () => {
        const { value, ms } = await timed(() => workerCount(settings, false));
        return countResult(
          'count-none-workers',
          `${increments} concurrent increments`,
          'none',
          threads,
          increments,
          value,
          ms,
        );
      },
    ],
    [
      'counter, SharedMutex, worker threads',
      async () => {
        const { value, ms } = await timed(() => workerCount(settings, true));
        return countResult(
          'count-shared-mutex',
          `${increments} concurrent increments`,
          'SharedMutex',
          threads,
          increments,
          value,
          ms,
        );
      },
    ],
    [
      'TryLock rounds',
      async () => {
        const { value, ms } = await timed(() => tryLockRounds(settings));
        const exact = value.perRound.filter((executors) => executors === 1).length;
        const wrong = value.perRound.length - exact;
        return {
          id: 'trylock-rounds',
          title: `${rounds} rounds, every worker tries at once`,
          lock: 'TryLock',
          threads,
          expected: rounds,
          actual: exact,
          correct: wrong === 0,
          locked: true,
          detail:
            wrong === 0
              ? `one executor per round; the other ${value.failed} attempts reported "lock failed"`
              : `${wrong} rounds without exactly one executor (${value.perRound.join(', ')})`,
          ms,
        };
      },
    ],
    [
      'order grab, no lock',
      async () => {
        const { value, ms } = await timed(() => orderGrab(settings, false));
        return orderResult('order-none', buyers, 'none', threads, value.winners, ms);
      },
    ],
    [
      'order grab, SharedMutex',
      async () => {
        const { value, ms } = await timed(() => orderGrab(settings, true));
        return orderResult(
          'order-shared-mutex',
          buyers,
          'SharedMutex',
          threads,
          value.winners,
          ms,
          value.owner,
        );
      },
    ],
  ];
  const results: ExperimentResult[] = [];
  for (const [index, [title, run]] of steps.entries()) {
    progress(index + 1, steps.length, title);
    results.push(await run());
  }
  return results;
}

function orderResult(
  id: string,
  buyers: number,
  lock: string,
  threads: string,
  winners: number,
  ms: number,
  owner?: number,
): ExperimentResult {
  const locked = lock !== 'none';
  return {
    id,
    title: `${buyers} buyers race for order #42`,
    lock,
    threads,
    expected: 1,
    actual: winners,
    correct: winners === 1,
    locked,
    detail:
      winners === 1
        ? `exactly one winner${owner === undefined ? '' : ` (buyer ${owner})`}`
        : `${winners} buyers were told they won the same order`,
    ms,
  };
}
