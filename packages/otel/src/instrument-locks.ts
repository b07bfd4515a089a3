import diagnostics from 'node:diagnostics_channel';
import {
  type AcquireMessage,
  type Lease,
  type LeaseMessage,
  LOCK_CHANNELS,
  type LostMessage,
  type RenewMessage,
} from '@lock/core';
import {
  type Attributes,
  type MeterProvider,
  metrics,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { type AcquireOutcome, LOCK_METRICS } from './metric-names.js';

/** Options of {@link instrumentLocks}. */
export interface LockInstrumentationOptions {
  /** Where the metrics go. Default: the global meter provider (`metrics.getMeterProvider()`). */
  meterProvider?: MeterProvider | undefined;
  /** Where the spans go. Default: the global tracer provider (`trace.getTracerProvider()`). */
  tracerProvider?: TracerProvider | undefined;
  /**
   * The `lock.name` attribute of the metrics for a lock name, or `undefined` to leave it out (the default:
   * names such as `order:42` would make one time series per order). Spans always carry the name.
   */
  metricName?: ((name: string) => string | undefined) | undefined;
}

/** A running instrumentation: `stop()` (or `using`) unsubscribes from every channel. */
export interface LockInstrumentation extends Disposable {
  stop(): void;
}

const SCOPE = '@lock/otel';
const SECOND_BOUNDARIES = [
  0.000_01, 0.000_05, 0.000_1, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
  10, 30, 60,
];

/**
 * Records every lock's events as OpenTelemetry metrics and spans, from the `node:diagnostics_channel`
 * channels `@lock/core` publishes on (`LOCK_CHANNELS`), for every lock of every backend in this process (and
 * of every copy of `@lock/core`: channels are global by name). Locks publish nothing while nobody listens,
 * so the cost is paid only while this runs.
 *
 * Metrics: see {@link LOCK_METRICS}. Spans: one `lock.acquire` span per acquisition (kind internal, with
 * `lock.name`, `lock.backend`, `lock.operation`, `lock.outcome` and, once granted, `lock.token`); an error,
 * a timeout and an abort set its status to error.
 */
export function instrumentLocks(options: LockInstrumentationOptions = {}): LockInstrumentation {
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
  const metricName = options.metricName ?? (() => undefined);
  const acquireDuration = meter.createHistogram(LOCK_METRICS.acquireDuration, {
    unit: 's',
    description: 'Time from an acquire or tryAcquire call to its outcome',
    advice: { explicitBucketBoundaries: SECOND_BOUNDARIES },
  });
  const acquirePending = meter.createUpDownCounter(LOCK_METRICS.acquirePending, {
    description: 'Acquisitions in flight (waiting in line or for the backend)',
  });
  const holdDuration = meter.createHistogram(LOCK_METRICS.holdDuration, {
    unit: 's',
    description: 'Time from a grant to its release or loss',
    advice: { explicitBucketBoundaries: SECOND_BOUNDARIES },
  });
  const held = meter.createUpDownCounter(LOCK_METRICS.held, { description: 'Leases held' });
  const lost = meter.createCounter(LOCK_METRICS.lost, { description: 'Leases lost' });
  const renewals = meter.createCounter(LOCK_METRICS.renewals, { description: 'Lease renewals' });

  // Per acquisition (the message object is the same from start to outcome) and per lease.
  const acquisitions = new WeakMap<
    AcquireMessage,
    { startedAt: number; span: Span; attributes: Attributes }
  >();
  const leases = new WeakMap<Lease, { grantedAt: number; attributes: Attributes }>();

  const baseAttributes = (name: string, backend: string): Attributes => {
    const attributes: Attributes = { 'lock.backend': backend };
    const named = metricName(name);
    if (named !== undefined) attributes['lock.name'] = named;
    return attributes;
  };

  const onStart = (message: unknown) => {
    const acquisition = message as AcquireMessage;
    const attributes = baseAttributes(acquisition.name, acquisition.backend);
    const span = tracer.startSpan('lock.acquire', {
      kind: SpanKind.INTERNAL,
      attributes: {
        'lock.name': acquisition.name,
        'lock.backend': acquisition.backend,
        'lock.operation': acquisition.operation,
      },
    });
    acquisitions.set(acquisition, { startedAt: performance.now(), span, attributes });
    acquirePending.add(1, attributes);
  };

  const settle = (outcome: AcquireOutcome) => (message: unknown) => {
    const acquisition = message as AcquireMessage;
    const started = acquisitions.get(acquisition);
    // Started before we subscribed: nothing to measure it from.
    if (started === undefined) return;
    acquisitions.delete(acquisition);
    const now = performance.now();
    acquirePending.add(-1, started.attributes);
    acquireDuration.record((now - started.startedAt) / 1000, {
      ...started.attributes,
      'lock.operation': acquisition.operation,
      'lock.outcome': outcome,
    });
    started.span.setAttribute('lock.outcome', outcome);
    if (outcome === 'granted' && acquisition.lease !== undefined) {
      started.span.setAttribute('lock.token', acquisition.lease.token.toString());
      leases.set(acquisition.lease, { grantedAt: now, attributes: started.attributes });
      held.add(1, started.attributes);
    }
    if (outcome === 'timeout' || outcome === 'aborted' || outcome === 'error') {
      const error = acquisition.error;
      if (outcome === 'error' && error instanceof Error) started.span.recordException(error);
      started.span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : outcome,
      });
    }
    started.span.end();
  };

  const ended = (lease: Lease, end: 'released' | 'lost') => {
    const holding = leases.get(lease);
    if (holding === undefined) return;
    leases.delete(lease);
    held.add(-1, holding.attributes);
    holdDuration.record((performance.now() - holding.grantedAt) / 1000, {
      ...holding.attributes,
      'lock.end': end,
    });
  };
  const onRelease = (message: unknown) => ended((message as LeaseMessage).lease, 'released');
  const onLost = (message: unknown) => {
    const loss = message as LostMessage;
    lost.add(1, { ...baseAttributes(loss.name, loss.backend), 'lock.lost.reason': loss.reason });
    ended(loss.lease, 'lost');
  };
  const onRenew = (message: unknown) => {
    const renewal = message as RenewMessage;
    const outcome = renewal.error !== undefined ? 'error' : renewal.renewed ? 'renewed' : 'gone';
    renewals.add(1, { ...baseAttributes(renewal.name, renewal.backend), 'lock.renew.outcome': outcome });
  };

  const subscriptions: [string, (message: unknown) => void][] = [
    [LOCK_CHANNELS.acquireStart, onStart],
    [LOCK_CHANNELS.grant, settle('granted')],
    [LOCK_CHANNELS.busy, settle('busy')],
    [LOCK_CHANNELS.timeout, settle('timeout')],
    [LOCK_CHANNELS.abort, settle('aborted')],
    [LOCK_CHANNELS.error, settle('error')],
    [LOCK_CHANNELS.release, onRelease],
    [LOCK_CHANNELS.lost, onLost],
    [LOCK_CHANNELS.renew, onRenew],
  ];
  for (const [channel, handler] of subscriptions) diagnostics.subscribe(channel, handler);
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const [channel, handler] of subscriptions) diagnostics.unsubscribe(channel, handler);
  };
  return { stop, [Symbol.dispose]: stop };
}
