// Routing through the selector: `selector.lock(name)` per call + acquire + release, a kept selector lock
// handle, a provider's own lock handle, and a standalone Mutex (the floor of an in-process pair), on the
// embedded default (every name in-process). Interleaved rounds in one run, medians, ratios.
import { Mutex, MutexProvider } from '@lock/mutex';
import { Selector } from '@lock/selector';
import { formatNs, formatRate, interleaved, median, type SuiteReport, table } from '../harness.js';

const PAIRS = 100_000;
const ROUNDS = 15;

async function pairs(pair: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let index = 0; index < PAIRS; index++) await pair();
  return Number(process.hrtime.bigint() - started) / PAIRS;
}

export async function run(): Promise<SuiteReport[]> {
  const selector = await Selector.create();
  const provider = new MutexProvider();
  const standalone = new Mutex('bench-standalone');
  const kept = selector.lock('bench-kept');
  const handle = provider.lock('bench-handle');
  const contenders: Record<string, () => Promise<number>> = {
    'standalone Mutex': () => pairs(async () => (await standalone.acquire()).release()),
    'MutexProvider handle': () => pairs(async () => (await handle.acquire()).release()),
    'selector lock handle, kept': () => pairs(async () => (await kept.acquire()).release()),
    'selector.lock(name) per call': () =>
      pairs(async () => (await selector.lock('bench-per-call').acquire()).release()),
  };
  try {
    const samples = await interleaved(contenders, ROUNDS);
    const base = 'standalone Mutex';
    const vs = (name: string) => median(samples[name]!.map((value, round) => value / samples[base]![round]!));
    const rows = Object.keys(contenders).map((name) => [
      name,
      formatNs(median(samples[name]!)),
      formatRate(1e9 / median(samples[name]!)),
      `${vs(name).toFixed(2)}x`,
    ]);
    const perCall = vs('selector.lock(name) per call');
    return [
      {
        title: 'selector: what routing a name costs an in-process acquire + release pair',
        text: table(['case', 'p50 per pair', 'pairs/s', 'vs standalone Mutex'], rows),
        figures: { samples },
        targets: [
          {
            name: 'selector.lock(name) per call within 1.5x of a standalone Mutex',
            met: perCall <= 1.5,
            detail: `${perCall.toFixed(2)}x (${formatNs(median(samples['selector.lock(name) per call']!))} vs ${formatNs(median(samples[base]!))})`,
          },
        ],
      },
    ];
  } finally {
    await provider.close();
    await selector.close();
  }
}
