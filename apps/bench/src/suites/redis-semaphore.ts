// Redis semaphore and read-write lock suite: @lock/redis's semaphore against redis-semaphore's Semaphore with 10
// client processes and 3 permits, and the read-write lock's readers' throughput with 1 writer in 10 against the
// same operations on the exclusive lock. Runs are interleaved (ours, theirs, ours, ...) on one server.
import { formatRate, median, ratio, type SuiteReport, table } from '../harness.js';
import { redisRuntime } from './redis-runtime.js';
import { runClients, type SemaphoreContender, type SemaphoreRun } from './redis-semaphore-clients.js';

const CLIENTS = 10;
const PERMITS = 3;
const OPS = Number(process.env.LOCK_BENCH_SEMAPHORE_OPS ?? 60);
const ROUNDS = Number(process.env.LOCK_BENCH_SEMAPHORE_ROUNDS ?? 3);
const HOLD_MS = 2;
const WRITE_EVERY = 10;

export async function run(): Promise<SuiteReport[]> {
  const server = await (await redisRuntime()).startRedis();
  try {
    return [await semaphores(server.url), await readWrite(server.url)];
  } finally {
    await server.close();
  }
}

async function rounds(
  url: string,
  contenders: readonly SemaphoreContender[],
  writeEvery: number,
): Promise<Map<SemaphoreContender, SemaphoreRun[]>> {
  const runs = new Map<SemaphoreContender, SemaphoreRun[]>(contenders.map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const contender of contenders) {
      const key = `bench:semaphore:${contender.replace(/\W+/g, '-')}:${round}`;
      const base = { contender, url, key, ops: OPS, permits: PERMITS, holdMs: HOLD_MS, writeEvery };
      runs.get(contender)!.push(await runClients(base, CLIENTS));
    }
  }
  return runs;
}

/** The median of each figure over the rounds. */
function medians(runs: readonly SemaphoreRun[]) {
  const of = (pick: (run: SemaphoreRun) => number) => median(runs.map(pick));
  return {
    opsPerSec: of((run) => run.opsPerSec),
    readsPerSec: of((run) => run.readsPerSec),
    waitP50Ms: of((run) => run.waitP50Ms),
    waitP99Ms: of((run) => run.waitP99Ms),
    fairness: of((run) => run.fairness),
  };
}

async function semaphores(url: string): Promise<SuiteReport> {
  const ours: SemaphoreContender = '@lock/redis semaphore';
  const theirs: SemaphoreContender = 'redis-semaphore Semaphore';
  const runs = await rounds(url, [ours, theirs], 0);
  const mine = medians(runs.get(ours)!);
  const peer = medians(runs.get(theirs)!);
  const rows = [ours, theirs].map((name) => {
    const figures = name === ours ? mine : peer;
    return [
      name,
      formatRate(figures.opsPerSec),
      `${figures.waitP50Ms.toFixed(1)} ms`,
      `${figures.waitP99Ms.toFixed(1)} ms`,
      figures.fairness.toFixed(3),
    ];
  });
  return {
    title: `Redis semaphore: ${CLIENTS} client processes, ${PERMITS} permits, ${HOLD_MS} ms held, ${OPS} grants each (median of ${ROUNDS} interleaved rounds)`,
    text: table(['semaphore', 'grants/s', 'wait p50', 'wait p99', 'fairness (Jain)'], rows),
    figures: { ours: mine, peer, runs: Object.fromEntries(runs) },
    targets: [
      { name: 'fair', met: mine.fairness >= 0.9, detail: `Jain index ${mine.fairness.toFixed(3)} (>= 0.9)` },
      {
        name: 'p99 wait at most half of redis-semaphore',
        met: mine.waitP99Ms <= peer.waitP99Ms / 2,
        detail: `${mine.waitP99Ms.toFixed(1)} ms vs ${peer.waitP99Ms.toFixed(1)} ms`,
      },
      {
        name: 'throughput at least redis-semaphore',
        met: mine.opsPerSec >= peer.opsPerSec,
        detail: `${mine.opsPerSec.toFixed(0)}/s vs ${peer.opsPerSec.toFixed(0)}/s (${ratio(mine.opsPerSec, peer.opsPerSec)})`,
      },
    ],
  };
}

async function readWrite(url: string): Promise<SuiteReport> {
  const runs = await rounds(url, ['read-write', 'exclusive'], WRITE_EVERY);
  const shared = medians(runs.get('read-write')!);
  const exclusive = medians(runs.get('exclusive')!);
  const rows = [
    [
      'read-write lock',
      formatRate(shared.readsPerSec),
      formatRate(shared.opsPerSec),
      `${shared.waitP99Ms.toFixed(1)} ms`,
    ],
    [
      'exclusive lock',
      formatRate(exclusive.readsPerSec),
      formatRate(exclusive.opsPerSec),
      `${exclusive.waitP99Ms.toFixed(1)} ms`,
    ],
  ];
  return {
    title: `Redis read-write lock: ${CLIENTS} client processes, 1 write in ${WRITE_EVERY}, ${HOLD_MS} ms held, ${OPS} grants each (median of ${ROUNDS} interleaved rounds)`,
    text: table(['lock', 'reads/s', 'grants/s', 'wait p99'], rows),
    figures: { readWrite: shared, exclusive, runs: Object.fromEntries(runs) },
    targets: [
      {
        name: 'readers share: reads/s above the exclusive lock doing the same operations',
        met: shared.readsPerSec > exclusive.readsPerSec,
        detail: `${formatRate(shared.readsPerSec)} vs ${formatRate(exclusive.readsPerSec)} (${(shared.readsPerSec / exclusive.readsPerSec).toFixed(2)}x)`,
      },
    ],
  };
}
