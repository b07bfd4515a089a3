import type { LockLostReason } from './errors/lock-lost-error.js';
import { monotonicNow } from './monotonic.js';

/** Settings of a {@link LeaseKeeper}. */
export interface LeaseKeeperOptions {
  /** Lease length the server granted, in ms. */
  ttlMs: number;
  /**
   * Monotonic time (ms) at which the request that established the lease was *sent*. The server started the
   * lease no earlier than this, so the lease is surely valid until `confirmedAt + ttlMs - driftMs`.
   */
  confirmedAt: number;
  /** Renew this often, in ms. Default: a third of `ttlMs`. */
  renewEveryMs?: number | undefined;
  /** Safety margin subtracted from the deadline for clock-rate drift. Default: 1% of the TTL plus 2 ms. */
  driftMs?: number | undefined;
  /**
   * Renews the lease for `ttlMs` from the moment it is sent. Resolves `true` if the lease is still held and
   * was extended, `false` if the server says it is gone; rejects when the answer is unknown (network).
   */
  renew(ttlMs: number): Promise<boolean>;
  /** Called once when the lease is gone (`expired`) or can no longer be confirmed (`unconfirmed`). */
  onLost(reason: LockLostReason, cause?: unknown): void;
}

/**
 * The safety margin a lease's safe deadline keeps for clock-rate drift between client and server when the grant
 * names none: 1% of the TTL plus 2 ms. A waiter that waits out someone else's lease adds the same margin.
 */
export function defaultDriftMs(ttlMs: number): number {
  return Math.ceil(ttlMs * 0.01) + 2;
}

/** Shortest wait before retrying a renewal that failed with an unknown result. */
const MIN_RETRY_MS = 10;
/** Renewal requests that may be unanswered at once before the keeper waits for one to settle. */
const MAX_IN_FLIGHT = 3;

/**
 * Keeps one server-side lease alive and says when it can no longer be trusted.
 *
 * It renews every `renewEveryMs` and tracks the *safe deadline*: the send time of the last confirmed renewal
 * plus the TTL minus drift, on the monotonic clock. A watchdog fires at the safe deadline, so a holder
 * behind a half-open connection (no RST, no error, no reply) learns that its lease is in doubt by its own
 * clock, before the server can hand the lock to someone else. Renewals whose result is unknown are retried
 * at shorter intervals until the deadline. Used per lease (Redis) and per session (etcd).
 */
export class LeaseKeeper {
  /** Monotonic time after which the lease must be presumed lost. */
  safeDeadline: number;
  private ttlMs: number;
  private readonly renewEveryMs: number | undefined;
  private readonly driftMs: number | undefined;
  private readonly options: LeaseKeeperOptions;
  private renewTimer: NodeJS.Timeout | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private stopped = false;
  private lastError: unknown;
  /** Send time of the newest renewal confirmed so far; older answers must not move the deadline. */
  private confirmedSentAt: number;

  constructor(options: LeaseKeeperOptions) {
    this.options = options;
    this.ttlMs = options.ttlMs;
    this.renewEveryMs = options.renewEveryMs;
    this.driftMs = options.driftMs;
    this.confirmedSentAt = options.confirmedAt;
    this.safeDeadline = options.confirmedAt + options.ttlMs - this.drift();
    this.armWatchdog();
    this.scheduleRenewal(options.confirmedAt + this.interval() - monotonicNow());
  }

  /** True once stopped or lost. */
  get done(): boolean {
    return this.stopped;
  }

  /**
   * Records a confirmed renewal sent at `sentAt` for `ttlMs` (also one made outside the keeper, by a manual
   * `extend()`). The deadline follows the newest confirmation, earlier too: a renewal to a shorter TTL
   * shortens the lease on the server, so it must shorten the safe deadline. Answers to older requests are
   * ignored.
   */
  confirm(sentAt: number, ttlMs: number): void {
    if (this.stopped || sentAt < this.confirmedSentAt) return;
    this.confirmedSentAt = sentAt;
    this.ttlMs = ttlMs;
    this.safeDeadline = sentAt + ttlMs - this.drift();
    this.armWatchdog();
    this.scheduleRenewal(sentAt + this.interval() - monotonicNow());
  }

  /** Stops renewing; a renewal already in flight is ignored when it answers. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.renewTimer);
    clearTimeout(this.watchdogTimer);
    this.renewTimer = undefined;
    this.watchdogTimer = undefined;
  }

  private interval(): number {
    return this.renewEveryMs ?? Math.max(1, Math.floor(this.ttlMs / 3));
  }

  private drift(): number {
    return this.driftMs ?? defaultDriftMs(this.ttlMs);
  }

  private armWatchdog(): void {
    clearTimeout(this.watchdogTimer);
    const delay = Math.max(0, this.safeDeadline - monotonicNow());
    this.watchdogTimer = setTimeout(() => {
      // Timers may fire a millisecond early by rounding; only the monotonic clock decides.
      if (monotonicNow() < this.safeDeadline) this.armWatchdog();
      else this.lose('unconfirmed', this.lastError);
    }, delay);
    this.watchdogTimer.unref();
  }

  private scheduleRenewal(delayMs: number): void {
    clearTimeout(this.renewTimer);
    if (this.stopped) return;
    this.renewTimer = setTimeout(() => this.renewNow(), Math.max(0, delayMs));
    this.renewTimer.unref();
  }

  private renewNow(): void {
    if (this.stopped) return;
    // A renewal can hang (a half-open connection): while one is out, keep trying on new requests, a few at
    // a time, each judged by its own send time. The watchdog decides when time is up.
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.scheduleRenewal(this.retryDelay());
      return;
    }
    this.inFlight += 1;
    const ttlMs = this.ttlMs;
    const sentAt = monotonicNow();
    this.scheduleRenewal(this.retryDelay());
    let answer: Promise<boolean>;
    try {
      answer = this.options.renew(ttlMs);
    } catch (error) {
      answer = Promise.reject(error);
    }
    answer.then(
      (stillHeld) => {
        this.inFlight -= 1;
        if (this.stopped) return;
        // "Gone" from any request is final: a compare-and-extend cannot succeed once the grant is gone.
        if (!stillHeld) this.lose('expired');
        else {
          this.lastError = undefined;
          this.confirm(sentAt, ttlMs);
        }
      },
      (error: unknown) => {
        this.inFlight -= 1;
        // Unknown result: the retry scheduled above comes sooner than a regular renewal.
        if (!this.stopped) this.lastError = error;
      },
    );
  }

  /** Time to the next attempt after an unanswered or failed one: a third of what is left, bounded. */
  private retryDelay(): number {
    const remaining = this.safeDeadline - monotonicNow();
    return Math.min(this.interval(), Math.max(MIN_RETRY_MS, remaining / 3));
  }

  private lose(reason: LockLostReason, cause?: unknown): void {
    if (this.stopped) return;
    this.stop();
    this.options.onLost(reason, cause);
  }
}
