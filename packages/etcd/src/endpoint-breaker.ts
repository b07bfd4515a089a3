import { monotonicNow } from '@lock/core';
import { GRPCDeadlineExceededError, GRPCUnavailableError } from 'etcd3';

/** How long a failing endpoint is skipped at first, in ms; doubled after each failed probe, up to the max. */
const SKIP_MS = 1_000;
const MAX_SKIP_MS = 5_000;

/** What etcd3's connection pool hands to a host's fault handler. */
type Call<T> = (context: unknown) => T | PromiseLike<T>;

/** Which endpoint serves a stream, so a stream that stops answering can be blamed on it. */
const streamEndpoints = new WeakMap<object, EndpointBreaker>();

/**
 * Says that `stream` (a keepalive or watch stream opened through {@link etcdClientOptions}' client) got no
 * answer in time: its endpoint is skipped like one that refused a connection. A stream to a paused member
 * fails no request by itself (it just never answers), so without this the pool would keep choosing it.
 * @internal
 */
export function reportUnresponsive(stream: object): void {
  streamEndpoints.get(stream)?.failed();
}

/**
 * The endpoints of one client. An endpoint is skipped (new requests go elsewhere) while it fails or is slow,
 * but only while another endpoint is usable: when every endpoint is in trouble, requests are sent anyway
 * rather than failed without trying.
 * @internal
 */
export class EndpointGroup {
  private readonly endpoints: EndpointBreaker[] = [];
  private readonly slowAfterMs: number;

  constructor(slowAfterMs: number) {
    this.slowAfterMs = slowAfterMs;
  }

  /** The breaker for one more endpoint of this group. */
  add(): EndpointBreaker {
    const breaker = new EndpointBreaker(this, this.slowAfterMs);
    this.endpoints.push(breaker);
    return breaker;
  }

  /** True when an endpoint other than `except` is neither failing nor slow at `now`. */
  anotherUsable(except: EndpointBreaker, now: number): boolean {
    return this.endpoints.some((endpoint) => endpoint !== except && endpoint.usable(now));
  }
}

/**
 * The fault handler of one endpoint in etcd3's connection pool (its `faultHandling.host`). It counts only
 * what says something about the endpoint: etcd3's default breaker also counts the `CANCELLED` that etcd3
 * produces when it tears a stream down, and three of those close a healthy endpoint for 5 s.
 *
 * An endpoint is skipped for 1 s after a connection failure (refused, reset, or no answer by the deadline),
 * doubling up to 5 s while probes fail; and, without waiting for any deadline, while a request to it has gone
 * unanswered for `slowAfterMs` and nothing else it was sent has been answered since. That second rule is what
 * keeps a paused member from collecting the requests of everyone who picks it: the first request stuck there
 * diverts the next ones at once.
 * @internal
 */
export class EndpointBreaker {
  private readonly group: EndpointGroup;
  private readonly slowAfterMs: number;
  private skipUntil = 0;
  private skipMs = SKIP_MS;
  /** Send times of calls not answered yet (unary calls, and streams until the server's first headers). */
  private readonly unanswered = new Set<{ readonly sentAt: number }>();
  private answeredAt = Number.NEGATIVE_INFINITY;

  constructor(group: EndpointGroup, slowAfterMs: number) {
    this.group = group;
    this.slowAfterMs = slowAfterMs;
  }

  /** Neither in a skip window after a failure nor slow to answer. */
  usable(now: number): boolean {
    if (now < this.skipUntil) return false;
    for (const call of this.unanswered) {
      if (call.sentAt <= now - this.slowAfterMs && call.sentAt > this.answeredAt) return false;
    }
    return true;
  }

  /** A connection failure, or a stream that never answered: skip the endpoint, longer after a failed probe. */
  failed(): void {
    if (this.skipUntil > 0) this.skipMs = Math.min(MAX_SKIP_MS, this.skipMs * 2);
    this.skipUntil = monotonicNow() + this.skipMs;
  }

  // async: etcd3 calls this with a function that may throw synchronously and catches only a rejection.
  async execute<T>(fn: Call<T>): Promise<T> {
    const sentAt = monotonicNow();
    if (!this.usable(sentAt) && this.group.anotherUsable(this, sentAt)) {
      throw new Error('etcd endpoint skipped: it failed or is slow to answer, and another one is usable');
    }
    const call = { sentAt };
    this.unanswered.add(call);
    let result: T | PromiseLike<T>;
    try {
      result = fn({ signal: new AbortController().signal, attempt: 0 });
    } catch (error) {
      this.settle(call, error);
      throw error;
    }
    if (!isThenable(result)) {
      // A stream: answered once the server sends its headers (or its first message, whichever comes first).
      const stream = result as unknown as NodeJS.EventEmitter;
      streamEndpoints.set(stream, this);
      stream.once('metadata', () => this.settle(call, undefined));
      stream.once('data', () => this.settle(call, undefined));
      stream.once('error', (error: unknown) => this.settle(call, error));
      stream.once('close', () => this.unanswered.delete(call));
      return result;
    }
    try {
      const value = await result;
      this.settle(call, undefined);
      return value;
    } catch (error) {
      this.settle(call, error);
      throw error;
    }
  }

  private settle(call: { readonly sentAt: number }, error: unknown): void {
    if (!this.unanswered.delete(call)) return;
    if (error !== undefined && isConnectionFailure(error)) {
      this.failed();
      return;
    }
    // Any answer from the server, a refusal included, shows the endpoint is alive.
    this.answeredAt = Math.max(this.answeredAt, call.sentAt);
    this.skipUntil = 0;
    this.skipMs = SKIP_MS;
  }
}

/** UNAVAILABLE (refused, reset) or DEADLINE_EXCEEDED (a blackholed or paused endpoint answers nothing). */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof GRPCUnavailableError || error instanceof GRPCDeadlineExceededError) return true;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === 14 || code === 4;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
