import { monotonicNow } from '@lock/core';
import { GRPCUnavailableError, type IOptions } from 'etcd3';

/** Consecutive connection failures after which an endpoint is skipped for a while. */
const FAILURES_TO_SKIP = 3;
/** How long a failing endpoint is skipped, in ms. */
const SKIP_MS = 1_000;

/**
 * A per-endpoint breaker for etcd3's connection pool that counts only connection failures (gRPC
 * `UNAVAILABLE`). etcd3's default breaker also counts `CANCELLED`, which etcd3 itself produces whenever it
 * tears down an idle watch stream: three such teardowns in a row close a healthy endpoint for 5 s, and with
 * one endpoint every request (and keepalive) fails meanwhile. A skipped endpoint throws before calling, so
 * the pool moves on to the next one.
 */
class EndpointBreaker {
  private failures = 0;
  private skipUntil = 0;

  async execute<T>(fn: (context: unknown) => T | PromiseLike<T>): Promise<T> {
    if (monotonicNow() < this.skipUntil)
      throw new Error('etcd endpoint skipped after repeated connection failures');
    try {
      const result = await fn({ signal: new AbortController().signal, attempt: 0 });
      this.failures = 0;
      return result;
    } catch (error) {
      if (error instanceof GRPCUnavailableError || isUnavailable(error)) {
        this.failures += 1;
        if (this.failures >= FAILURES_TO_SKIP) {
          this.failures = 0;
          this.skipUntil = monotonicNow() + SKIP_MS;
        }
      }
      throw error;
    }
  }
}

function isUnavailable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 14;
}

/**
 * etcd3 client options this package recommends for `new Etcd3(...)`: the given endpoints, and a per-endpoint
 * breaker that skips an endpoint only after real connection failures (see the README). Providers built from
 * `endpoints` use these options.
 */
export function etcdClientOptions(endpoints: readonly string[]): IOptions {
  const faultHandling = { host: () => new EndpointBreaker() } as unknown as NonNullable<
    IOptions['faultHandling']
  >;
  return { hosts: [...endpoints], faultHandling };
}
