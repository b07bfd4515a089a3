// What the diagnostics channels cost a lock: a Mutex acquire + release pair with nobody subscribed, the
// subscriber check alone (the hasSubscribers flags the hot path reads), a Mutex with one no-op subscriber,
// and a Mutex under @lock/otel with a real OpenTelemetry SDK (meter and tracer providers, nothing exported).
// Interleaved rounds in one run; the check's share of a pair is the figure of the target.
import diagnostics from 'node:diagnostics_channel';
import { LOCK_ACQUIRE_TRACING, LOCK_CHANNELS } from '@lock/core';
import { Mutex } from '@lock/mutex';
import { instrumentLocks } from '@lock/otel';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { formatNs, formatRate, interleaved, median, type SuiteReport, table } from '../harness.js';

const PAIRS = 200_000;
const CHECKS = 2_000_000;
const ROUNDS = 15;

async function pairs(mutex: Mutex, count: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let index = 0; index < count; index++) await (await mutex.acquire()).release();
  return Number(process.hrtime.bigint() - started) / count;
}

export async function run(): Promise<SuiteReport[]> {
  const quiet = new Mutex('bench-quiet');
  const [acquireStart, grant, busy, timeout, abort, failure, , release] = Object.values(LOCK_CHANNELS).map(
    (name) => diagnostics.channel(name),
  ) as diagnostics.Channel[];
  const tracing = diagnostics.tracingChannel(LOCK_ACQUIRE_TRACING);
  // The flags an acquisition and its release read when nobody listens, read as the hot path reads them: the
  // six acquire channels, the five tracing channels, the release channel (each a call site of its own).
  const nobodyListens = () =>
    !(
      acquireStart!.hasSubscribers ||
      grant!.hasSubscribers ||
      busy!.hasSubscribers ||
      timeout!.hasSubscribers ||
      abort!.hasSubscribers ||
      failure!.hasSubscribers ||
      tracing.start.hasSubscribers ||
      tracing.end.hasSubscribers ||
      tracing.asyncStart.hasSubscribers ||
      tracing.asyncEnd.hasSubscribers ||
      tracing.error.hasSubscribers ||
      release!.hasSubscribers
    );
  const flagsRead = 12;
  let seen = 0;
  const contenders: Record<string, () => Promise<number>> = {
    'Mutex pair, nobody subscribed': () => pairs(quiet, PAIRS),
    'the subscriber check alone (per pair)': async () => {
      const started = process.hrtime.bigint();
      for (let index = 0; index < CHECKS; index++) {
        if (!nobodyListens()) seen++;
      }
      return Number(process.hrtime.bigint() - started) / CHECKS;
    },
    'Mutex pair, one no-op grant subscriber': async () => {
      const noop = () => {};
      diagnostics.subscribe(LOCK_CHANNELS.grant, noop);
      try {
        return await pairs(quiet, PAIRS);
      } finally {
        diagnostics.unsubscribe(LOCK_CHANNELS.grant, noop);
      }
    },
    'Mutex pair under @lock/otel (SDK, nothing exported)': async () => {
      const meterProvider = new MeterProvider();
      const tracerProvider = new BasicTracerProvider();
      const instrumentation = instrumentLocks({ meterProvider, tracerProvider });
      try {
        return await pairs(quiet, PAIRS / 10);
      } finally {
        instrumentation.stop();
        await meterProvider.shutdown();
        await tracerProvider.shutdown();
      }
    },
  };
  const samples = await interleaved(contenders, ROUNDS);
  const base = 'Mutex pair, nobody subscribed';
  const check = 'the subscriber check alone (per pair)';
  const share = median(samples[check]!.map((value, round) => value / samples[base]![round]!));
  const rows = Object.keys(contenders).map((name) => [
    name,
    formatNs(median(samples[name]!)),
    formatRate(1e9 / median(samples[name]!)),
    `${median(samples[name]!.map((value, round) => value / samples[base]![round]!)).toFixed(3)}x`,
  ]);
  return [
    {
      title: 'diagnostics: what lock events cost a Mutex acquire + release pair',
      text: table(['case', 'p50 per pair', 'pairs/s', 'vs nobody subscribed'], rows),
      figures: { samples, flagsRead, seen },
      targets: [
        {
          name: 'no measurable cost while nobody subscribes: the check is at most 3% of a Mutex pair',
          met: share <= 0.03,
          detail: `${(share * 100).toFixed(1)}% (${formatNs(median(samples[check]!))} of ${formatNs(median(samples[base]!))}; ${flagsRead} hasSubscribers flags read)`,
        },
      ],
    },
  ];
}
