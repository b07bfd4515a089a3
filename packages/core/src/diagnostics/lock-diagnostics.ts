import diagnostics from 'node:diagnostics_channel';
import type { LockLostReason } from '../errors/lock-lost-error.js';
import { LockTimeoutError } from '../errors/lock-timeout-error.js';
import type { AcquireOptions, Lease, Lock } from '../types.js';

/**
 * The names of the `node:diagnostics_channel` channels every lock publishes on. Subscribe with
 * `diagnostics_channel.subscribe(LOCK_CHANNELS.grant, onGrant)`; nothing is published, and nothing is
 * allocated for it, while a channel has no subscriber.
 */
export const LOCK_CHANNELS = Object.freeze({
  /** An acquisition started ({@link AcquireMessage}). */
  acquireStart: '@lock/core:acquire:start',
  /** An acquisition was granted ({@link AcquireMessage} with `lease`). */
  grant: '@lock/core:acquire:grant',
  /** A `tryAcquire` found the lock held and resolved `null` ({@link AcquireMessage}). */
  busy: '@lock/core:acquire:busy',
  /** An acquisition timed out waiting for a holder ({@link AcquireMessage} with `error`). */
  timeout: '@lock/core:acquire:timeout',
  /** An acquisition was aborted by its signal ({@link AcquireMessage} with `error`, the signal's reason). */
  abort: '@lock/core:acquire:abort',
  /** An acquisition failed otherwise: a backend error, bad input, a closed provider ({@link AcquireMessage}). */
  error: '@lock/core:acquire:error',
  /** A lease was renewed, or a renewal failed ({@link RenewMessage}). */
  renew: '@lock/core:lease:renew',
  /** A lease was released ({@link LeaseMessage}); published at the `release()` call that ends it. */
  release: '@lock/core:lease:release',
  /** A lease was lost ({@link LostMessage}): its signal aborts with `error`. */
  lost: '@lock/core:lease:lost',
});

/**
 * The name of the `TracingChannel` acquisitions are traced on (`tracing:@lock/core:acquire:start`, `:end`,
 * `:asyncStart`, `:asyncEnd`, `:error`); its context is the {@link AcquireMessage}, with `result` (the
 * lease, or `null` from `tryAcquire`) or `error` set by Node when the acquisition settles.
 */
export const LOCK_ACQUIRE_TRACING = '@lock/core:acquire';

/** What the acquire channels publish, and the tracing context of an acquisition. */
export interface AcquireMessage {
  /** The lock being acquired. */
  readonly lock: Lock;
  readonly name: string;
  /** `capabilities.backend` of the lock. */
  readonly backend: string;
  /** `acquire` (waits in line) or `tryAcquire`. */
  readonly operation: 'acquire' | 'tryAcquire';
  readonly options: AcquireOptions | undefined;
  /** The lease, once granted (`grant`). */
  lease?: Lease;
  /** Why it failed (`timeout`, `abort`, `error`). */
  error?: unknown;
}

/** What the `release` channel publishes. */
export interface LeaseMessage {
  readonly lease: Lease;
  readonly name: string;
  readonly backend: string;
}

/** What the `lost` channel publishes. */
export interface LostMessage extends LeaseMessage {
  readonly reason: LockLostReason;
  readonly error: Error;
}

/** What the `renew` channel publishes: `renewed` false when the grant was gone, `error` when unconfirmed. */
export interface RenewMessage extends LeaseMessage {
  readonly ttlMs: number;
  readonly renewed: boolean;
  readonly error?: unknown;
}

const tracing = diagnostics.tracingChannel<object, AcquireMessage>(LOCK_ACQUIRE_TRACING);
const acquireStart = diagnostics.channel(LOCK_CHANNELS.acquireStart);
const grant = diagnostics.channel(LOCK_CHANNELS.grant);
const busy = diagnostics.channel(LOCK_CHANNELS.busy);
const timeout = diagnostics.channel(LOCK_CHANNELS.timeout);
const abort = diagnostics.channel(LOCK_CHANNELS.abort);
const failure = diagnostics.channel(LOCK_CHANNELS.error);
const renew = diagnostics.channel(LOCK_CHANNELS.renew);
const release = diagnostics.channel(LOCK_CHANNELS.release);
const lost = diagnostics.channel(LOCK_CHANNELS.lost);

function traced(): boolean {
  return (
    tracing.start.hasSubscribers ||
    tracing.end.hasSubscribers ||
    tracing.asyncStart.hasSubscribers ||
    tracing.asyncEnd.hasSubscribers ||
    tracing.error.hasSubscribers
  );
}

/** True when anyone listens to acquisitions: only then does `BaseLock` route them through {@link observeAcquire}. @internal */
export function acquireObserved(): boolean {
  return (
    acquireStart.hasSubscribers ||
    grant.hasSubscribers ||
    busy.hasSubscribers ||
    timeout.hasSubscribers ||
    abort.hasSubscribers ||
    failure.hasSubscribers ||
    traced()
  );
}

/** Runs an acquisition with its events published and traced. @internal */
export function observeAcquire<T extends Lease | null>(
  lock: Lock,
  operation: 'acquire' | 'tryAcquire',
  options: AcquireOptions | undefined,
  run: () => Promise<T>,
): Promise<T> {
  const message: AcquireMessage = {
    lock,
    name: lock.name,
    backend: lock.capabilities.backend,
    operation,
    options,
  };
  if (acquireStart.hasSubscribers) acquireStart.publish(message);
  const settled = traced() ? tracing.tracePromise(run, message) : run();
  return settled.then(
    (result) => {
      if (result === null) {
        if (busy.hasSubscribers) busy.publish(message);
      } else if (grant.hasSubscribers) {
        message.lease = result;
        grant.publish(message);
      }
      return result;
    },
    (error: unknown) => {
      const channel = LockTimeoutError.isInstance(error)
        ? timeout
        : options?.signal?.aborted === true && options.signal.reason === error
          ? abort
          : failure;
      if (channel.hasSubscribers) {
        message.error = error;
        channel.publish(message);
      }
      throw error;
    },
  );
}

/** Publishes a release, if anyone listens. @internal */
export function publishRelease(lease: Lease, backend: string): void {
  if (release.hasSubscribers) release.publish({ lease, name: lease.name, backend } satisfies LeaseMessage);
}

/** Publishes a loss, if anyone listens. @internal */
export function publishLost(lease: Lease, backend: string, reason: LockLostReason, error: Error): void {
  if (lost.hasSubscribers)
    lost.publish({ lease, name: lease.name, backend, reason, error } satisfies LostMessage);
}

/** Publishes the outcome of a renewal once it settles, if anyone listens; returns the renewal unchanged. @internal */
export function observeRenew(
  lease: Lease,
  backend: string,
  ttlMs: number,
  renewal: Promise<boolean>,
): Promise<boolean> {
  if (!renew.hasSubscribers) return renewal;
  return renewal.then(
    (renewed) => {
      renew.publish({ lease, name: lease.name, backend, ttlMs, renewed } satisfies RenewMessage);
      return renewed;
    },
    (error: unknown) => {
      renew.publish({
        lease,
        name: lease.name,
        backend,
        ttlMs,
        renewed: false,
        error,
      } satisfies RenewMessage);
      throw error;
    },
  );
}
