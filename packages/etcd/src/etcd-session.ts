import {
  InvalidArgumentError,
  LeaseKeeper,
  LockBackendError,
  type LockLostReason,
  monotonicNow,
  noop,
} from '@lock/core';
import { reportUnresponsive } from './endpoint-breaker.js';
import type { EtcdClient } from './etcd-client.js';

/** Called once when a session ends: the lease expired, was revoked, or could not be confirmed in time. */
export type SessionLossListener = (reason: LockLostReason, cause?: unknown) => void;

/**
 * One etcd lease kept alive for every lock of a provider, like Go's `concurrency.Session`. Lock keys are
 * put under this lease, so a crashed process's keys vanish when the lease expires.
 *
 * Renewal and the safe deadline come from core's {@link LeaseKeeper}: keepalives at a third of the granted
 * TTL, retried sooner when their result is unknown, and a watchdog on the monotonic clock that ends the
 * session at `last confirmed keepalive send time + TTL - drift`. A holder behind a half-open connection
 * therefore learns that its locks are in doubt by its own clock, before the server can expire them.
 * @internal
 */
export class EtcdSession {
  /** The lease id. */
  readonly leaseId: bigint;
  /** The lease id in lowercase hex, as in Go's `fmt.Sprintf("%x")`: the last segment of every lock key. */
  readonly leaseHex: string;
  /** The TTL the server granted, in ms (etcd raises TTLs below its minimum without saying so). */
  readonly ttlMs: number;
  private readonly client: EtcdClient;
  private readonly attemptTimeoutMs: number;
  private readonly callOptions: () => { deadline: number } | undefined;
  private readonly keeper: LeaseKeeper;
  private readonly listeners = new Set<SessionLossListener>();
  /** Ends each keepalive still waiting for its answer (the session ended: nothing may outlive it). */
  private readonly keepalivesInFlight = new Set<() => void>();
  private lostReason: LockLostReason | undefined;
  private lostCause: unknown;
  /** Keys (queued or held) that live under this session's lease now. */
  private uses = 0;
  private retiring = false;

  private constructor(
    client: EtcdClient,
    leaseId: bigint,
    ttlMs: number,
    sentAt: number,
    attemptTimeoutMs: number,
    callOptions: () => { deadline: number } | undefined,
  ) {
    this.client = client;
    this.callOptions = callOptions;
    this.leaseId = leaseId;
    this.leaseHex = leaseId.toString(16);
    this.ttlMs = ttlMs;
    this.attemptTimeoutMs = attemptTimeoutMs;
    this.keeper = new LeaseKeeper({
      ttlMs,
      confirmedAt: sentAt,
      renew: () => this.keepAliveOnce(),
      onLost: (reason, cause) => this.end(reason === 'expired' ? 'session-lost' : reason, cause),
    });
  }

  /**
   * Grants a lease of `ttlMs` (whole seconds) and starts keeping it alive. A keepalive attempt that gets no
   * answer within `attemptTimeoutMs` is abandoned and its endpoint reported, so the next goes elsewhere.
   */
  static async open(
    client: EtcdClient,
    ttlMs: number,
    attemptTimeoutMs: number,
    callOptions: () => { deadline: number } | undefined,
  ): Promise<EtcdSession> {
    // Validity is measured from the send time: the server started the lease no earlier than this.
    const sentAt = monotonicNow();
    const reply = await client.leaseClient.leaseGrant({ TTL: ttlMs / 1000 }, callOptions());
    if (reply.error) {
      throw new LockBackendError('etcd', 'session lease grant', {
        cause: reply.error,
        detail: `etcd refused a ${ttlMs / 1000} s lease: ${reply.error}`,
      });
    }
    const grantedMs = Number(reply.TTL) * 1000;
    if (grantedMs !== ttlMs) {
      // A server whose minimum TTL (1.5 election timeouts) is longer raises it without saying so. A crashed
      // holder would block others for longer than configured: refuse rather than grant something else.
      await client.leaseClient.leaseRevoke({ ID: reply.ID }, callOptions()).catch(noop);
      throw new InvalidArgumentError(
        'ttlMs',
        ttlMs,
        `a TTL this etcd grants as asked: it granted ${grantedMs} ms for the session lease (its minimum is 1.5 election timeouts, in whole seconds)`,
      );
    }
    return new EtcdSession(client, BigInt(reply.ID), grantedMs, sentAt, attemptTimeoutMs, callOptions);
  }

  /** True once the session ended; its locks are lost and a new session is needed. */
  get lost(): boolean {
    return this.lostReason !== undefined;
  }

  /** True once retired: new acquisitions must open another session. */
  get retired(): boolean {
    return this.retiring;
  }

  /** Counts one more key under this lease; call the returned function (once) when that key is gone. */
  hold(): () => void {
    this.uses += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.uses -= 1;
      this.closeIfRetiredAndIdle();
    };
  }

  /**
   * A write under this lease may still be applied later: a copy stuck on a member that stopped answering
   * (sent again elsewhere, or given up at its deadline) is carried out when that member resumes, and a
   * put-if-absent of a key already released would recreate it, blocking its name for as long as the lease
   * lives. So the session takes no new keys, and its lease is revoked as soon as the keys in use are gone:
   * that deletes such a key, and makes any later copy fail ("lease not found").
   */
  retire(): void {
    this.retiring = true;
    this.closeIfRetiredAndIdle();
  }

  /** Monotonic time after which the lease must be presumed expired. */
  get safeDeadline(): number {
    return this.keeper.safeDeadline;
  }

  /**
   * Subscribes to the end of the session and returns the unsubscribe function. If the session already
   * ended, the listener is called on the next microtask (never synchronously, so a caller can finish
   * storing the unsubscribe function first).
   */
  onLost(listener: SessionLossListener): () => void {
    if (this.lostReason !== undefined) {
      const reason = this.lostReason;
      const cause = this.lostCause;
      let cancelled = false;
      queueMicrotask(() => {
        if (!cancelled) listener(reason, cause);
      });
      return () => {
        cancelled = true;
      };
    }
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Ends the session because etcd said its lease is gone (a request under it failed with "lease not found"). */
  invalidate(cause: unknown): void {
    this.end('session-lost', cause);
  }

  /**
   * Ends the session on purpose: stops keepalives and revokes the lease, which deletes every key put under
   * it (the locks of this session are released by the server in one step).
   */
  async close(): Promise<void> {
    this.end('closed');
    await this.revoke();
  }

  private closeIfRetiredAndIdle(): void {
    if (this.retiring && this.uses === 0 && this.lostReason === undefined) void this.close();
  }

  /** Revokes the lease on a best-effort basis (bounded by the request timeout). */
  async revoke(): Promise<void> {
    await this.client.leaseClient
      .leaseRevoke({ ID: this.leaseId.toString() }, this.callOptions())
      .catch(noop);
  }

  private end(reason: LockLostReason, cause?: unknown): void {
    if (this.lostReason !== undefined) return;
    this.lostReason = reason;
    this.lostCause = cause;
    this.keeper.stop();
    for (const abandon of [...this.keepalivesInFlight]) abandon();
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener(reason, cause);
  }

  /**
   * One keepalive on a fresh stream: `true` if the server extended the lease, `false` if it is gone (TTL 0),
   * a rejection when the answer is unknown. The per-attempt timeout lets the keeper retry on another
   * endpoint instead of waiting forever on a half-open connection.
   */
  private async keepAliveOnce(): Promise<boolean> {
    const timeoutMs = this.attemptTimeoutMs;
    return new Promise<boolean>((resolve, reject) => {
      let settled = false;
      let stream: Awaited<ReturnType<EtcdClient['leaseClient']['leaseKeepAlive']>> | undefined;
      const abandon = () => finish(() => reject(new Error('the session ended')));
      this.keepalivesInFlight.add(abandon);
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.keepalivesInFlight.delete(abandon);
        if (stream !== undefined) {
          // Half-close, never cancel: etcd3 counts a cancelled stream as a host failure, and three of them
          // open its circuit breaker for that endpoint. Errors after the answer must not become unhandled.
          stream.on('error', noop);
          stream.end();
        }
        outcome();
      };
      const timer = setTimeout(() => {
        // The member serving this stream stopped answering: steer the next keepalive elsewhere.
        if (stream !== undefined) reportUnresponsive(stream);
        finish(() =>
          reject(
            new LockBackendError('etcd', 'keepalive', {
              detail: `no answer within ${timeoutMs} ms for lease ${this.leaseHex}`,
            }),
          ),
        );
      }, timeoutMs);
      this.client.leaseClient.leaseKeepAlive().then(
        (opened) => {
          stream = opened;
          if (settled) {
            opened.on('error', noop);
            opened.end();
            return;
          }
          opened.on('data', (reply) => finish(() => resolve(reply.TTL !== '0' && reply.TTL !== undefined)));
          opened.on('error', (error: unknown) => finish(() => reject(error)));
          opened.on('end', () =>
            finish(() =>
              reject(
                new LockBackendError('etcd', 'keepalive', {
                  detail: `the stream for lease ${this.leaseHex} ended without an answer`,
                }),
              ),
            ),
          );
          opened.write({ ID: this.leaseId.toString() });
        },
        (error: unknown) => finish(() => reject(error)),
      );
    });
  }
}
