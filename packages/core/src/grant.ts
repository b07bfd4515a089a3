import type { LockLostReason } from './errors/lock-lost-error.js';

/**
 * What a backend hands to `BaseLock` when it grants a lock. Backends extend it with their own fields (the
 * owner id, the key, the node path) and get the same object back in their release and extend hooks.
 */
export interface Grant {
  /** Fencing token of the grant. */
  readonly token: bigint;
  /** Lease length the server granted in ms; omit for grants that never expire. */
  readonly ttlMs?: number | undefined;
  /**
   * Monotonic time (ms) at which the request that granted the lease was sent; required with `ttlMs`. The
   * safe deadline is measured from here, so a grant that arrives late has correspondingly less time.
   */
  readonly startedAt?: number | undefined;
  /**
   * Safety margin (ms) subtracted from this grant's safe deadlines, for clock-rate drift between client and
   * server(s). Default: 1% of the TTL + 2 ms. Redlock passes its own drift factor here.
   */
  readonly driftMs?: number | undefined;
}

/** What `BaseLock` asks of a backend's `acquireGrant` hook. */
export interface AcquireRequest {
  /** `false`: give up at once (resolve `null`) if the lock is held. `true`: wait in line. */
  readonly wait: boolean;
  /**
   * Fires when the wait must end: on timeout (reason: `LockTimeoutError`) or when the caller aborts (reason:
   * the caller's). The backend then removes every trace of the waiter and rejects (with any error; the
   * caller sees `signal.reason`). `undefined` when there is neither timeout nor caller signal.
   */
  readonly signal: AbortSignal | undefined;
  /** Lease length to request, in ms (backends with leases). */
  readonly ttlMs: number;
  /** Monotonic deadline (ms) of the wait, for backends that pass a timeout to the server. */
  readonly deadline: number | undefined;
  /**
   * For locks with `remote: true`: call this when the server has answered that the lock is held and this
   * acquisition now waits in line (not when it is granted). Until then the deadline does not end the
   * acquisition: the first request is carried to its answer, bounded by the backend's own request timeout, so
   * a free lock is granted whatever `timeoutMs`, and a server that does not answer fails the acquisition with
   * the backend's error, never with a `LockTimeoutError`. Once called (repeat calls are no-ops), the deadline
   * applies, at once if it has already passed.
   */
  readonly queued: () => void;
}

/** Called by a backend to report that a grant is lost (its session expired, say). */
export type LoseGrant = (reason: LockLostReason, cause?: unknown) => void;
