// TryLock: @lock/trylock's sync tryLock()/unlock() vs a raw compareExchange + store pair on the same
// kind of Int32 slot (the floor), and the contract adapter's tryAcquire + release for scale.
import { TryLock, TryLockAdapter } from '@lock/trylock';
import { formatNs, formatRate, interleaved, median, type SuiteReport, table } from '../harness.js';

const OPS = 2_000_000;
const ROUNDS = 21;

export async function run(): Promise<SuiteReport[]> {
  const lock = new TryLock();
  const raw = new Int32Array(new SharedArrayBuffer(8));
  const adapter = new TryLockAdapter('bench', new TryLock());
  let failures = 0;
  const contenders: Record<string, () => Promise<number>> = {
    '@lock/trylock TryLock': async () => {
      const started = process.hrtime.bigint();
      for (let index = 0; index < OPS; index++) {
        if (!lock.tryLock()) failures++;
        lock.unlock();
      }
      return Number(process.hrtime.bigint() - started) / OPS;
    },
    'raw CAS pair (floor)': async () => {
      const started = process.hrtime.bigint();
      for (let index = 0; index < OPS; index++) {
        if (Atomics.compareExchange(raw, 0, 0, 1) !== 0) failures++;
        Atomics.store(raw, 0, 0);
      }
      return Number(process.hrtime.bigint() - started) / OPS;
    },
  };
  const samples = await interleaved(contenders, ROUNDS);
  const adapterOps = OPS / 20;
  const adapterSamples: number[] = [];
  for (let round = 0; round < 7; round++) {
    const started = process.hrtime.bigint();
    for (let index = 0; index < adapterOps; index++) {
      const lease = await adapter.tryAcquire();
      if (lease === null) failures++;
      else await lease.release();
    }
    adapterSamples.push(Number(process.hrtime.bigint() - started) / adapterOps);
  }
  const ours = '@lock/trylock TryLock';
  const floor = 'raw CAS pair (floor)';
  const perRound = median(samples[ours]!.map((value, round) => value / samples[floor]![round]!));
  const rows = [
    ...Object.keys(contenders).map((name) => [
      name,
      formatNs(median(samples[name]!)),
      formatRate(1e9 / median(samples[name]!)),
      `${median(samples[name]!.map((value, round) => value / samples[floor]![round]!)).toFixed(2)}x`,
    ]),
    [
      'TryLockAdapter tryAcquire + release (contract, async)',
      formatNs(median(adapterSamples)),
      formatRate(1e9 / median(adapterSamples)),
      `${(median(adapterSamples) / median(samples[floor]!)).toFixed(2)}x`,
    ],
  ];
  const text = [
    `uncontended try + unlock pairs, one thread; median of ${ROUNDS} interleaved rounds of ${OPS.toLocaleString('en')} (ratios: median of per-round ratios); Node ${process.version}`,
    '',
    table(['contender', 'per pair', 'ops/s', 'time vs floor'], rows),
  ].join('\n');
  return [
    {
      title: 'trylock: try + unlock',
      text,
      figures: {
        opsPerRound: OPS,
        rounds: ROUNDS,
        nsPerPair: Object.fromEntries(Object.keys(contenders).map((name) => [name, median(samples[name]!)])),
        adapterNsPerPair: median(adapterSamples),
        failedTries: failures,
      },
      targets: [
        {
          name: 'TryLock within 3x of a raw CAS pair',
          met: perRound <= 3 && failures === 0,
          detail: `${perRound.toFixed(2)}x the floor's time per pair${failures === 0 ? '' : `; ${failures} failed tries on a free lock`}`,
        },
      ],
    },
  ];
}
