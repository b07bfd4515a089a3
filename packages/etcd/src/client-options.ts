import type { IOptions } from 'etcd3';
import { EndpointGroup } from './endpoint-breaker.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_TTL_MS } from './etcd-settings.js';
import { requestTiming } from './request-timing.js';

/**
 * HTTP/2 pings on busy connections, so a watch stream behind a half-open connection fails and reconnects
 * elsewhere. etcd refuses pings more often than every 5 s (`--grpc-keepalive-min-time`), hence 10 s.
 */
const PING_EVERY_MS = 10_000;
const PING_TIMEOUT_MS = 5_000;

/** No breaker at all (one endpoint: there is nowhere else to go, and skipping it would only turn waits into errors). */
const PASS_THROUGH = {
  // async: etcd3 calls this with a function that throws synchronously and catches only a rejection.
  async execute<T>(fn: (context: unknown) => T | PromiseLike<T>): Promise<T> {
    return fn({ signal: new AbortController().signal, attempt: 0 });
  },
};

/**
 * etcd3 client options this package recommends for `new Etcd3(...)`, and that providers built from
 * `endpoints` use. Pass the provider's `requestTimeoutMs` and session `ttlMs` (defaults 5,000 and 10,000):
 * - each attempt of a unary request gets its own deadline of a third of the TTL (at most `requestTimeoutMs`);
 *   etcd3 retries a failed attempt on another endpoint (a deadline given per call would already have expired
 *   for the retry);
 * - with several endpoints, a breaker per endpoint that skips it after a connection failure (refused, reset,
 *   or no answer by the deadline) for 1 s, doubling up to 5 s while probes fail, and while a request to it
 *   has been unanswered for an eighth of the TTL (at most 500 ms): a paused member then costs the first
 *   request sent to it that long, not the whole request timeout of every request routed to it. etcd3's
 *   default breaker also counts the `CANCELLED` that etcd3 produces itself when it closes a stream, and
 *   opens on a healthy endpoint;
 * - HTTP/2 keepalive pings on connections with open streams, so a half-open connection is noticed.
 */
export function etcdClientOptions(
  endpoints: readonly string[],
  requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
  ttlMs = DEFAULT_TTL_MS,
): IOptions {
  const { attemptTimeoutMs, slowAfterMs } = requestTiming(ttlMs, requestTimeoutMs);
  const group = new EndpointGroup(slowAfterMs);
  const faultHandling = {
    host: () => (endpoints.length > 1 ? group.add() : PASS_THROUGH),
  } as unknown as NonNullable<IOptions['faultHandling']>;
  return {
    hosts: [...endpoints],
    faultHandling,
    // gRPC takes its deadlines as wall-clock times; each is set just before its attempt is sent.
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + attemptTimeoutMs }),
    grpcOptions: { 'grpc.keepalive_time_ms': PING_EVERY_MS, 'grpc.keepalive_timeout_ms': PING_TIMEOUT_MS },
  };
}
