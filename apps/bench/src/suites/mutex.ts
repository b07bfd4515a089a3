// In-process mutex: @lock/mutex's Mutex vs async-mutex vs a bare 20-line FIFO queue (the floor), in one
// run, interleaved round by round, medians of rounds, ratios.

import { Mutex } from '@lock/mutex';
import { Mutex as AsyncMutex } from 'async-mutex';
import { formatNs, formatRate, interleaved, median, type SuiteReport, table } from '../harness.js';

/**
 * The floor: the least an async FIFO mutex can do (no tokens, no cancellation, no validation). Its
 * release returns a resolved promise and is awaited, like the contract's `lease.release()`.
 */
class BareQueue {
  private locked = false;
  private readonly waiters: (() => void)[] = [];
  private head = 0;
  private static readonly resolved = Promise.resolve();
  acquire(): Promise<void> {
    if (!this.locked) {
      this.locked = true;
      return BareQueue.resolved;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  release(): Promise<void> {
    if (this.head < this.waiters.length) {
      const next = this.waiters[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.waiters.length) {
        this.waiters.splice(0, this.head);
        this.head = 0;
      }
      next();
    } else this.locked = false;
    return BareQueue.resolved;
  }
}

interface Contender {
  /** One acquire + release, the way its users write it. */
  pair(): Promise<void>;
}

function contenders(): Record<string, Contender> {
  const mutex = new Mutex('bench');
  const asyncMutex = new AsyncMutex();
  const bare = new BareQueue();
  return {
    '@lock/mutex Mutex': {
      async pair() {
        const lease = await mutex.acquire();
        await lease.release();
      },
    },
    'async-mutex 0.5.0': {
      async pair() {
        const release = await asyncMutex.acquire();
        release();
      },
    },
    'bare FIFO queue (floor)': {
      async pair() {
        await bare.acquire();
        await bare.release();
      },
    },
  };
}

/** ns per pair for `ops` sequential pairs on a free lock. */
async function uncontended(contender: Contender, ops: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let index = 0; index < ops; index++) await contender.pair();
  return Number(process.hrtime.bigint() - started) / ops;
}

/** ns per pair with `waiters` tasks queued behind each other, each doing `ops / waiters` pairs. */
async function contended(contender: Contender, waiters: number, ops: number): Promise<number> {
  const perTask = Math.ceil(ops / waiters);
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: waiters }, async () => {
      for (let index = 0; index < perTask; index++) await contender.pair();
    }),
  );
  return Number(process.hrtime.bigint() - started) / (perTask * waiters);
}

export async function run(): Promise<SuiteReport[]> {
  const all = contenders();
  const names = Object.keys(all);
  const OPS = 200_000;
  const ROUNDS = 21;
  // Warm up every contender on both paths before measuring.
  for (const contender of Object.values(all)) {
    await uncontended(contender, OPS);
    await contended(contender, 100, OPS);
  }
  const single = await interleaved(
    Object.fromEntries(names.map((name) => [name, () => uncontended(all[name]!, OPS)])),
    ROUNDS,
  );
  const queued = await interleaved(
    Object.fromEntries(names.map((name) => [name, () => contended(all[name]!, 100, OPS)])),
    ROUNDS,
  );
  const ours = '@lock/mutex Mutex';
  const peer = 'async-mutex 0.5.0';
  const floor = 'bare FIFO queue (floor)';
  const ns = (samples: Record<string, number[]>, name: string) => median(samples[name]!);
  // Ratios are taken within each round (the contenders of one round ran back to back, under the same
  // load from the rest of the machine), then the median over rounds.
  const roundRatio = (samples: Record<string, number[]>, top: string, bottom: string) =>
    median(samples[top]!.map((value, round) => value / samples[bottom]![round]!));
  const rows = names.map((name) => [
    name,
    formatNs(ns(single, name)),
    formatRate(1e9 / ns(single, name)),
    `${roundRatio(single, name, floor).toFixed(2)}x`,
    formatNs(ns(queued, name)),
    formatRate(1e9 / ns(queued, name)),
    `${roundRatio(queued, name, floor).toFixed(2)}x`,
  ]);
  const speedupSingle = roundRatio(single, peer, ours);
  const speedupQueued = roundRatio(queued, peer, ours);
  const floorSingle = roundRatio(single, ours, floor);
  const floorQueued = roundRatio(queued, ours, floor);
  const text = [
    `acquire + release pairs; median of ${ROUNDS} interleaved rounds of ${OPS.toLocaleString('en')} pairs (ratios: median of per-round ratios); Node ${process.version}`,
    '',
    table(
      [
        'contender',
        'uncontended/pair',
        'ops/s',
        'time vs floor',
        '100 waiters/pair',
        'ops/s',
        'time vs floor',
      ],
      rows,
    ),
    '',
    `Mutex vs async-mutex: ${speedupSingle.toFixed(2)}x the ops/s uncontended, ${speedupQueued.toFixed(2)}x with 100 waiters`,
  ].join('\n');
  return [
    {
      title: 'mutex: in-process acquire + release',
      text,
      figures: {
        opsPerRound: OPS,
        rounds: ROUNDS,
        node: process.version,
        uncontendedNsPerPair: Object.fromEntries(names.map((name) => [name, ns(single, name)])),
        waiters100NsPerPair: Object.fromEntries(names.map((name) => [name, ns(queued, name)])),
      },
      targets: [
        {
          name: 'Mutex >= 5x async-mutex ops/s, uncontended',
          met: speedupSingle >= 5,
          detail: `${speedupSingle.toFixed(2)}x`,
        },
        {
          name: 'Mutex >= 5x async-mutex ops/s, 100 waiters',
          met: speedupQueued >= 5,
          detail: `${speedupQueued.toFixed(2)}x`,
        },
        {
          name: 'Mutex within 1.5x of the bare floor, uncontended',
          met: floorSingle <= 1.5,
          detail: `${floorSingle.toFixed(2)}x the floor's time per pair`,
        },
        {
          name: 'Mutex within 1.5x of the bare floor, 100 waiters',
          met: floorQueued <= 1.5,
          detail: `${floorQueued.toFixed(2)}x the floor's time per pair`,
        },
      ],
    },
  ];
}
