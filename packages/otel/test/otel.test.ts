import {
  type AcquireRequest,
  BaseLock,
  type Capabilities,
  type Grant,
  LockLostError,
  LockTimeoutError,
  monotonicNow,
} from '@lock/core';
import { Mutex } from '@lock/mutex';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { instrumentLocks, LOCK_METRICS, type LockInstrumentation } from '../src/index.js';

let metricExporter: InMemoryMetricExporter;
let reader: PeriodicExportingMetricReader;
let meterProvider: MeterProvider;
let spanExporter: InMemorySpanExporter;
let tracerProvider: BasicTracerProvider;
let instrumentation: LockInstrumentation;

beforeEach(() => {
  metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
  meterProvider = new MeterProvider({ readers: [reader] });
  spanExporter = new InMemorySpanExporter();
  tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  instrumentation = instrumentLocks({ meterProvider, tracerProvider });
});

afterEach(async () => {
  instrumentation.stop();
  await meterProvider.shutdown();
  await tracerProvider.shutdown();
});

/** Every data point of one instrument, after a collection. */
async function points(name: string): Promise<DataPoint<unknown>[]> {
  await reader.forceFlush();
  const batches = metricExporter.getMetrics();
  const latest = batches.at(-1);
  const metric = latest?.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []) as DataPoint<unknown>[];
}

const sumOf = (dataPoints: DataPoint<unknown>[], attributes: Record<string, unknown>) =>
  dataPoints
    .filter((point) => Object.entries(attributes).every(([key, value]) => point.attributes[key] === value))
    .reduce(
      (total, point) =>
        total + (typeof point.value === 'number' ? point.value : (point.value as Histogram).count),
      0,
    );

/** A lock whose renewals the test decides (a real BaseLock, with its real lease lifecycle). */
class RenewableLock extends BaseLock {
  readonly capabilities: Capabilities = {
    backend: 'renewable',
    scope: 'process',
    durability: 'memory',
    waiting: 'queue',
    fifo: true,
    fencing: true,
    leases: true,
  };
  renewals: boolean[] = [];
  private token = 0n;

  protected acquireGrant(request: AcquireRequest): Grant {
    this.token += 1n;
    return { token: this.token, ttlMs: request.ttlMs, startedAt: monotonicNow() };
  }

  protected releaseGrant(): boolean {
    return true;
  }

  protected override async extendGrant(): Promise<boolean> {
    return this.renewals.shift() ?? true;
  }
}

describe('instrumentLocks', () => {
  it('counts acquisitions by outcome, their durations and the leases held, on a real Mutex', async () => {
    const mutex = new Mutex('orders');
    const first = await mutex.acquire();
    expect(await mutex.tryAcquire()).toBeNull();
    await expect(mutex.acquire({ timeoutMs: 0 })).rejects.toBeInstanceOf(LockTimeoutError);
    const controller = new AbortController();
    const waiting = mutex.acquire({ signal: controller.signal });
    expect(sumOf(await points(LOCK_METRICS.acquirePending), { 'lock.backend': 'mutex' })).toBe(1);
    expect(sumOf(await points(LOCK_METRICS.held), { 'lock.backend': 'mutex' })).toBe(1);
    controller.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
    await first.release();
    const durations = await points(LOCK_METRICS.acquireDuration);
    for (const [operation, outcome] of [
      ['acquire', 'granted'],
      ['tryAcquire', 'busy'],
      ['acquire', 'timeout'],
      ['acquire', 'aborted'],
    ]) {
      expect(
        sumOf(durations, { 'lock.operation': operation, 'lock.outcome': outcome }),
        `${operation} ${outcome}`,
      ).toBe(1);
    }
    expect(sumOf(await points(LOCK_METRICS.acquirePending), {})).toBe(0);
    expect(sumOf(await points(LOCK_METRICS.held), {})).toBe(0);
    expect(sumOf(await points(LOCK_METRICS.holdDuration), { 'lock.end': 'released' })).toBe(1);
    // No lock name on metrics unless asked: one series per backend, not per order.
    expect(durations.every((point) => !('lock.name' in point.attributes))).toBe(true);
  });

  it('one span per acquisition, named with the lock, its outcome and token; failures are errors', async () => {
    const mutex = new Mutex('orders:42');
    const lease = await mutex.acquire();
    await expect(mutex.acquire({ timeoutMs: 0 })).rejects.toThrow();
    await lease.release();
    const spans = spanExporter.getFinishedSpans();
    expect(spans.map((span) => [span.name, span.attributes['lock.outcome'], span.status.code])).toEqual([
      ['lock.acquire', 'granted', 0],
      ['lock.acquire', 'timeout', 2],
    ]);
    expect(spans[0]!.attributes).toMatchObject({
      'lock.name': 'orders:42',
      'lock.backend': 'mutex',
      'lock.operation': 'acquire',
      'lock.token': lease.token.toString(),
    });
  });

  it('counts lost leases by reason and renewals by outcome', async () => {
    const lock = new RenewableLock('jobs', { maxHoldMs: 30 });
    const lease = await lock.acquire({ ttlMs: 90 });
    lock.renewals = [true, false];
    await new Promise<void>((resolve) => lease.signal.addEventListener('abort', () => resolve()));
    expect(lease.signal.reason).toBeInstanceOf(LockLostError);
    await lease.release();
    const reason = (lease.signal.reason as LockLostError).reason;
    expect(sumOf(await points(LOCK_METRICS.lost), { 'lock.lost.reason': reason })).toBe(1);
    expect(sumOf(await points(LOCK_METRICS.holdDuration), { 'lock.end': 'lost' })).toBe(1);
    expect(sumOf(await points(LOCK_METRICS.held), {})).toBe(0);
  });

  it('renewals are counted: renewed, then gone when the backend no longer has the grant', async () => {
    const lock = new RenewableLock('jobs');
    const lease = await lock.acquire({ ttlMs: 60 });
    lock.renewals = [true, false];
    await new Promise<void>((resolve) => lease.signal.addEventListener('abort', () => resolve()));
    await lease.release();
    const renewals = await points(LOCK_METRICS.renewals);
    expect(sumOf(renewals, { 'lock.renew.outcome': 'renewed' })).toBe(1);
    expect(sumOf(renewals, { 'lock.renew.outcome': 'gone' })).toBe(1);
    expect(sumOf(await points(LOCK_METRICS.lost), { 'lock.lost.reason': 'expired' })).toBe(1);
  });

  it('metricName opts a name into the metrics; stop() ends the recording', async () => {
    instrumentation.stop();
    instrumentation = instrumentLocks({
      meterProvider,
      tracerProvider,
      metricName: (name) => name.split(':')[0],
    });
    const mutex = new Mutex('orders:42');
    await (await mutex.acquire()).release();
    expect(sumOf(await points(LOCK_METRICS.acquireDuration), { 'lock.name': 'orders' })).toBe(1);
    instrumentation.stop();
    await (await mutex.acquire()).release();
    expect(sumOf(await points(LOCK_METRICS.acquireDuration), {})).toBe(1);
  });
});
