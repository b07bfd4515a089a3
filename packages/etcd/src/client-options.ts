import { monotonicNow } from '@lock/core';
import { GRPCDeadlineExceededError, GRPCUnavailableError, type IOptions } from 'etcd3';

/** How long a failing endpoint is skipped at first, in ms; doubled after each failed probe, up to the max. */
const SKIP_MS = 1_000;
const MAX_SKIP_MS = 5_000;
/**
 * HTTP/2 pings on busy connections, so a watch stream behind a half-open connection fails and reconnects
 * elsewhere. etcd refuses pings more often than every 5 s (`--grpc-keepalive-min-time`), hence 10 s.
 */
const PING_EVERY_MS = 10_000;
const PING_TIMEOUT_MS = 5_000;

/**
 * A per-endpoint breaker for etcd3's connection pool that counts only connection failures. etcd3's default
 * breaker also counts `CANCELLED`, which etcd3 itself produces whenever it tears down an idle watch stream:
 * three such teardowns in a row close a healthy endpoint for 5 s, and with one endpoint every request (and
 * keepalive) fails meanwhile. A skipped endpoint throws before calling, so the pool moves on to the next one.
 */
class EndpointBreaker {
  private skipUntil = 0;
  private skipMs = SKIP_MS;

  async execute<T>(fn: (context: unknown) => T | PromiseLike<T>): Promise<T> {
    if (monotonicNow() < this.skipUntil) throw new Error('etcd endpoint skipped after a connection failure');
    // After a skip the next request is a probe: if it fails too, the endpoint is skipped again, for longer.
    const probing = this.skipUntil > 0;
    try {
      const result = await fn({ signal: new AbortController().signal, attempt: 0 });
      this.skipUntil = 0;
      this.skipMs = SKIP_MS;
      return result;
    } catch (error) {
      if (isConnectionFailure(error)) {
        if (probing) this.skipMs = Math.min(MAX_SKIP_MS, this.skipMs * 2);
        this.skipUntil = monotonicNow() + this.skipMs;
      }
      throw error;
    }
  }
}

/** No breaker at all (one endpoint). */
const PASS_THROUGH = {
  // async: etcd3 calls this with a function that throws synchronously and catches only a rejection.
  async execute<T>(fn: (context: unknown) => T | PromiseLike<T>): Promise<T> {
    return fn({ signal: new AbortController().signal, attempt: 0 });
  },
};

/** UNAVAILABLE (refused, reset) or DEADLINE_EXCEEDED (a blackholed endpoint answers nothing). */
function isConnectionFailure(error: unknown): boolean {
  if (error instanceof GRPCUnavailableError || error instanceof GRPCDeadlineExceededError) return true;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === 14 || code === 4;
}

/**
 * etcd3 client options this package recommends for `new Etcd3(...)`, and that providers built from
 * `endpoints` use:
 * - with several endpoints, a per-endpoint breaker that skips an endpoint after a connection failure (refused,
 *   reset, or no answer before the deadline) for 1 s, doubling up to 5 s while probes fail. etcd3's default
 *   breaker also counts the `CANCELLED` that etcd3 produces itself when it closes an idle watch stream;
 * - a fresh deadline of `requestTimeoutMs` for every attempt of a unary request (etcd3 retries a failed attempt
 *   on the next endpoint; a deadline given per call would already have expired for the retry);
 * - HTTP/2 keepalive pings on connections with open streams, so a half-open connection is noticed.
 */
export function etcdClientOptions(endpoints: readonly string[], requestTimeoutMs = 5_000): IOptions {
  // With one endpoint there is nowhere else to go: skipping it would only turn waits into errors.
  const faultHandling = {
    host: () => (endpoints.length > 1 ? new EndpointBreaker() : PASS_THROUGH),
  } as unknown as NonNullable<IOptions['faultHandling']>;
  return {
    hosts: [...endpoints],
    faultHandling,
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + requestTimeoutMs }),
    grpcOptions: { 'grpc.keepalive_time_ms': PING_EVERY_MS, 'grpc.keepalive_timeout_ms': PING_TIMEOUT_MS },
  };
}
