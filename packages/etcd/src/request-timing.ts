/**
 * How long one etcd request may take before this package looks elsewhere, derived from the session TTL:
 * a member that stops answering (paused, cut off) while a quorum lives must cost a fraction of the TTL,
 * never the whole request timeout, or one stuck request stalls the queue and waiters' sessions run out.
 * @internal
 */
export interface RequestTiming {
  /**
   * Deadline of one attempt of a unary request, in ms: a third of the TTL, at most `requestTimeoutMs` (as for
   * keepalives). etcd3 retries a failed attempt on another endpoint with a fresh deadline.
   */
  readonly attemptTimeoutMs: number;
  /**
   * After this long without an answer a request is sent again (hedged) and its endpoint is skipped by new
   * requests until it answers: an eighth of the TTL, at most 500 ms (well above a healthy round trip).
   */
  readonly slowAfterMs: number;
}

/** Longest wait before a request is hedged, in ms. */
const MAX_SLOW_AFTER_MS = 500;

/** The timing for a session TTL and a request timeout (both in ms). @internal */
export function requestTiming(ttlMs: number, requestTimeoutMs: number): RequestTiming {
  const attemptTimeoutMs = Math.max(1, Math.min(requestTimeoutMs, Math.floor(ttlMs / 3)));
  const slowAfterMs = Math.max(1, Math.min(MAX_SLOW_AFTER_MS, Math.floor(ttlMs / 8), attemptTimeoutMs));
  return { attemptTimeoutMs, slowAfterMs };
}
