/**
 * The instruments `instrumentLocks` records, by name. Durations are in seconds, as OpenTelemetry's semantic
 * conventions ask. Every instrument has the attribute `lock.backend` (`capabilities.backend`: `redis`, `etcd`,
 * `mutex`, ...), plus the ones listed.
 */
export const LOCK_METRICS = Object.freeze({
  /** Histogram, s: from the `acquire()`/`tryAcquire()` call to its outcome. `lock.operation`, `lock.outcome`. */
  acquireDuration: 'lock.acquire.duration',
  /** UpDownCounter: acquisitions in flight (waiting in line, or waiting for the backend's answer). */
  acquirePending: 'lock.acquire.pending',
  /** Histogram, s: from the grant to the release or the loss. `lock.end` (`released`, `lost`). */
  holdDuration: 'lock.hold.duration',
  /** UpDownCounter: leases held right now. */
  held: 'lock.held',
  /** Counter: leases lost. `lock.lost.reason` (`expired`, `unconfirmed`, `session-lost`, `max-hold`, `closed`). */
  lost: 'lock.lost',
  /** Counter: renewals. `lock.renew.outcome` (`renewed`, `gone`, `error`). */
  renewals: 'lock.renewals',
});

/** What `lock.outcome` says about an acquisition. */
export type AcquireOutcome = 'granted' | 'busy' | 'timeout' | 'aborted' | 'error';
