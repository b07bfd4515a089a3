import {
  type AcquireRequest,
  BaseLock,
  type BaseLockSettings,
  type Capabilities,
  InvalidArgumentError,
  LockBackendError,
  LockLostError,
  type LoseGrant,
  monotonicNow,
} from '@lock/core';
import { EtcdLeaseInvalidError, type IRangeRequest, type ITxnRequest } from 'etcd3';
import type { EtcdClient } from './etcd-client.js';
import type { EtcdGrant } from './etcd-grant.js';
import type { EtcdSession } from './etcd-session.js';
import { ttlSeconds } from './etcd-settings.js';
import type { LocalSlot } from './local-slot.js';
import { lockPrefix, prefixRangeEnd } from './lock-key.js';
import { isRetryableError } from './retryable-error.js';
import { waitSignal } from './wait-signal.js';

/** What every etcd lock declares. */
export const ETCD_CAPABILITIES: Capabilities = Object.freeze({
  backend: 'etcd',
  scope: 'cluster',
  durability: 'consensus',
  waiting: 'push',
  fifo: true,
  fencing: true,
  leases: true,
});

/** Counters of a provider's waiting, for herd checks and diagnosis. */
export interface EtcdLockStats {
  /** Watch events delivered to waiters (a waiter watches only the key just before its own). */
  watchEvents: number;
  /** Times a waiter was woken by the deletion of the key it watched. */
  wakeups: number;
  /** Times a waiter found its predecessor gone by a read instead (a watch not yet in place, or a lost event). */
  fallbackWakeups: number;
  /** Sessions (leases) granted. */
  sessionsOpened: number;
  /** Sessions that ended other than by `close()` (expired, revoked, or unconfirmed by the deadline). */
  sessionsLost: number;
}

/** What a lock needs from its provider. @internal */
export interface EtcdLockBackend {
  /** The provider's etcd client. */
  readonly client: EtcdClient;
  /** The provider's key prefix (`''` or ending with `/`). */
  readonly keyPrefix: string;
  /** The provider's session TTL in ms: the only TTL its locks accept (one session lease per provider). */
  readonly ttlMs: number;
  /** Bound on one etcd request, in ms. */
  readonly requestTimeoutMs: number;
  /** The provider's counters, updated by its locks. */
  readonly stats: EtcdLockStats;
  /** Aborts when the provider closes. */
  readonly closeSignal: AbortSignal;
  /** The open session, opening one if needed; `name` is the lock asking (named in a closed provider's error). */
  session(ttlSeconds: number, name: string): Promise<EtcdSession>;
  /** The provider's local turn for `name`. */
  slot(ttlSeconds: number, name: string): LocalSlot;
  /** Keeps the client's watch stream open while the provider lives (see the provider). */
  keepWatchStream(): void;
  /** Options for one unary request (a deadline, unless the client's defaults give one per attempt). */
  callOptions(): { deadline: number } | undefined;
}

/** Pause between attempts to delete a key whose first deletion had an unknown outcome. */
const CLEANUP_RETRY_MS = 250;
/** Pause before a waiter reads again after a failed read. */
const CHECK_RETRY_MS = 100;
/** Interval of a waiter's fallback read while it watches its predecessor. */
const FALLBACK_CHECK_MS = 1_000;
/** The same while etcd has not confirmed the watch (its stream may sit on a half-open connection). */
const UNCONFIRMED_WATCH_CHECK_MS = 200;

/**
 * etcd's own lock algorithm (Go's `concurrency.Mutex`), so that `etcdctl lock NAME` and this lock exclude
 * each other: each contender puts `NAME/<lease hex>` under its session lease; the key with the lowest create
 * revision owns the lock; a waiter watches only the key with the next lower create revision (one release
 * wakes one waiter), then checks that its own key still exists. The fencing token is the create revision of
 * the holder's key.
 */
export class EtcdLock extends BaseLock<EtcdGrant> {
  /** {@link ETCD_CAPABILITIES}. */
  readonly capabilities: Capabilities = ETCD_CAPABILITIES;
  /** The key prefix of this lock, `<provider prefix><escaped name>/` (etcdctl's prefix for the same name). */
  readonly keyPrefix: string;
  private readonly backend: EtcdLockBackend;
  private readonly prefixBuffer: Buffer;
  private readonly prefixEnd: Buffer;

  /** @internal Made by `EtcdLockProvider.lock()`. */
  constructor(name: string, backend: EtcdLockBackend, settings: BaseLockSettings) {
    super(name, settings);
    this.backend = backend;
    this.keyPrefix = lockPrefix(backend.keyPrefix, name);
    this.prefixBuffer = Buffer.from(this.keyPrefix);
    this.prefixEnd = prefixRangeEnd(this.prefixBuffer);
  }

  protected acquireGrant(request: AcquireRequest): Promise<EtcdGrant | null> {
    // Checked before any I/O: etcd would truncate a fractional TTL.
    const seconds = ttlSeconds(request.ttlMs, 'options.ttlMs', this.name);
    if (request.ttlMs !== this.backend.ttlMs) {
      throw sessionTtlMismatch(request.ttlMs, this.backend.ttlMs, this.name);
    }
    const slot = this.backend.slot(seconds, this.name);
    if (slot.tryEnter()) return this.withTurn(seconds, slot, request);
    if (!request.wait) return Promise.resolve(null);
    const wait = waitSignal(request.signal, this.backend.closeSignal, this.name);
    return slot
      .enter(wait.signal)
      .finally(wait.unlink)
      .then(() => this.withTurn(seconds, slot, request));
  }

  protected releaseGrant(grant: EtcdGrant): Promise<boolean> {
    grant.releasing = true;
    // Already being removed after a loss: the grant was not held any more.
    if (grant.removal !== undefined) return grant.removal.then(() => false);
    grant.removal = this.removeKey(grant.session, grant.key, grant.token, grant.slot);
    return grant.removal.then((removed) => {
      if (removed === undefined) {
        throw new LockBackendError('etcd', 'release', {
          lockName: this.name,
          detail: `the deletion of ${grant.key} could not be confirmed; it is retried until the session ends`,
        });
      }
      return removed;
    });
  }

  protected override watchGrant(grant: EtcdGrant, lose: LoseGrant): () => void {
    const unsubscribe = grant.session.onLost((_reason, cause) => lose('session-lost', cause));
    return () => {
      unsubscribe();
      // Runs on release and on loss alike; release marks the grant synchronously right after this, so on the
      // next microtask only a grant lost without release (session end, maxHoldMs) is cleaned up here.
      queueMicrotask(() => {
        if (grant.releasing || grant.removal !== undefined) return;
        grant.removal = this.removeKey(grant.session, grant.key, grant.token, grant.slot);
      });
    };
  }

  /** Runs one acquisition in etcd while holding the local turn; frees the turn unless a grant results. */
  private async withTurn(
    seconds: number,
    slot: LocalSlot,
    request: AcquireRequest,
  ): Promise<EtcdGrant | null> {
    let session: EtcdSession;
    try {
      session = await this.backend.session(seconds, this.name);
    } catch (error) {
      slot.leave();
      throw error;
    }
    return this.contend(session, slot, request, seconds);
  }

  /** The algorithm proper. From here on the turn is freed by `removeKey` or kept by the grant. */
  private async contend(
    session: EtcdSession,
    slot: LocalSlot,
    request: AcquireRequest,
    seconds: number,
    retried = false,
  ): Promise<EtcdGrant | null> {
    const { client } = this.backend;
    const key = `${this.keyPrefix}${session.leaseHex}`;
    const keyBuffer = Buffer.from(key);
    const sentAt = monotonicNow();
    let reply: Awaited<ReturnType<EtcdClient['kv']['txn']>>;
    try {
      reply = await client.kv.txn(this.enqueueTxn(keyBuffer, session), this.callOptions());
    } catch (error) {
      if (error instanceof EtcdLeaseInvalidError && !retried) {
        // The lease was revoked or expired before our keepalive noticed; the txn wrote nothing. End the session
        // (its other grants are lost too) and queue again under a new one.
        session.invalidate(error);
        let fresh: EtcdSession;
        try {
          fresh = await this.backend.session(seconds, this.name);
        } catch (sessionError) {
          slot.leave();
          throw sessionError;
        }
        return this.contend(fresh, slot, request, seconds, true);
      }
      // Unknown outcome: the key may exist. It is ours alone (our lease id), so delete it unconditionally.
      await this.removeKey(session, key, undefined, slot);
      throw error;
    }
    // Our put is the txn's only write, so its create revision is the txn's revision.
    const existing = reply.succeeded ? undefined : reply.responses[0]?.response_range.kvs[0];
    const myRevision = BigInt(existing?.create_revision ?? reply.header.revision);
    const owner = reply.responses[1]?.response_range.kvs[0];
    if (owner === undefined || BigInt(owner.create_revision) === myRevision) {
      return this.grant(session, slot, key, myRevision, sentAt);
    }
    if (!request.wait) {
      // tryAcquire never waits: take our key back out of the queue.
      await this.removeKey(session, key, myRevision, slot);
      return null;
    }
    const wait = waitSignal(request.signal, this.backend.closeSignal, this.name);
    try {
      const checkedAt = await this.waitForTurn(session, keyBuffer, myRevision, wait.signal);
      return this.grant(session, slot, key, myRevision, checkedAt);
    } catch (error) {
      await this.removeKey(session, key, myRevision, slot);
      throw error;
    } finally {
      wait.unlink();
    }
  }

  /**
   * One round trip: if our key does not exist, put it under the session lease; either way read our key and
   * the current owner (lowest create revision under the prefix), so the uncontended path ends here.
   */
  private enqueueTxn(keyBuffer: Buffer, session: EtcdSession): ITxnRequest {
    const owner: IRangeRequest = {
      key: this.prefixBuffer,
      range_end: this.prefixEnd,
      sort_target: 'Create',
      sort_order: 'Ascend',
      limit: 1,
      keys_only: true,
    };
    return {
      compare: [{ key: keyBuffer, target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [
        { request_put: { key: keyBuffer, value: Buffer.alloc(0), lease: session.leaseId.toString() } },
        { request_range: owner },
      ],
      // The key exists: a resent request that was applied the first time. Reuse it, as Go's mutex does.
      failure: [{ request_range: { key: keyBuffer, keys_only: true } }, { request_range: owner }],
    };
  }

  /**
   * Go's `waitDeletes` followed by its session check: until no key with a lower create revision is left, watch
   * the last one and wait for its deletion. After each wake-up one read answers both questions (is anything
   * still before us, does our own key still exist), so a handoff costs one round trip after the event.
   * Resolves with the send time of the read that proved ownership.
   */
  private async waitForTurn(
    session: EtcdSession,
    keyBuffer: Buffer,
    myRevision: bigint,
    signal: AbortSignal,
  ): Promise<number> {
    const { client } = this.backend;
    const predecessorRange: IRangeRequest = {
      key: this.prefixBuffer,
      range_end: this.prefixEnd,
      sort_target: 'Create',
      sort_order: 'Descend',
      limit: 1,
      keys_only: true,
      max_create_revision: (myRevision - 1n).toString(),
    };
    const check: ITxnRequest = {
      compare: [],
      success: [{ request_range: predecessorRange }, { request_range: { key: keyBuffer, keys_only: true } }],
      failure: [],
    };
    for (;;) {
      if (signal.aborted) throw signal.reason;
      if (session.lost) throw this.waiterLost(session);
      const checkedAt = monotonicNow();
      let reply: Awaited<ReturnType<EtcdClient['kv']['txn']>>;
      try {
        reply = await client.kv.txn(check, this.callOptions());
      } catch (error) {
        // Our key lives under the session lease: once the session ended (by its own deadline while etcd is
        // unreachable, say) the key is gone or doomed, so this waiter can never be granted.
        if (session.lost) throw this.waiterLost(session, error);
        // Refused (permission denied, invalid argument, ...): the same read would be refused forever.
        if (!isRetryableError(error)) {
          throw new LockBackendError('etcd', 'acquire', { lockName: this.name, cause: error });
        }
        // etcd unreachable or electing: keep waiting; the session's deadline, the caller's timeout and
        // signal bound this.
        await sleep(CHECK_RETRY_MS);
        continue;
      }
      const predecessors = reply.responses[0]?.response_range;
      const mine = reply.responses[1]?.response_range.kvs[0];
      // Like Go's mutex: our key must still exist. If our lease expired or was revoked while we were queued
      // (etcd #11456, #19597), it is gone and we must never believe we hold the lock.
      if (mine === undefined || BigInt(mine.create_revision) !== myRevision || session.lost) {
        throw this.waiterLost(session);
      }
      const predecessor = predecessors?.kvs[0];
      if (predecessor === undefined) return checkedAt;
      this.backend.keepWatchStream();
      await this.waitForDelete(session, predecessor.key, predecessor.create_revision, signal);
    }
  }

  /**
   * Watches one key until the incarnation created at `createRevision` is deleted. Rejects when `signal` aborts
   * or the session ends; a broken watch resolves so the caller looks again (never a silent hang).
   *
   * The watch starts at the current revision, not at the revision of the read that found the key: etcd
   * delivers events to such "synced" watchers as they happen, while a watch from an older revision waits for
   * a catch-up loop that runs every 100 ms, which would add up to 100 ms to a handoff under contention. So
   * once the watch exists, one read checks that the key did not go in between.
   */
  private waitForDelete(
    session: EtcdSession,
    key: Buffer,
    createRevision: string,
    signal: AbortSignal,
  ): Promise<void> {
    const { client, stats } = this.backend;
    // An abort that fired during the previous request: 'abort' listeners added now would never run.
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const watcher = client.watch().key(key).watcher();
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(fallback);
        signal.removeEventListener('abort', onAbort);
        stopSession();
        watcher.cancel().catch(noop);
        outcome();
      };
      // Gone, or deleted and put again by its session (a new incarnation queues behind us).
      const checkGone = () => {
        client.kv.range({ key, keys_only: true }, this.callOptions()).then(
          (reply) => {
            if (settled || reply.kvs[0]?.create_revision === createRevision) return;
            stats.fallbackWakeups += 1;
            finish(resolve);
          },
          () => finish(resolve),
        );
      };
      // A watch stream stuck behind a half-open connection delivers nothing (until HTTP/2 pings tear it down):
      // a bounded fallback read turns a lost event into a late wake-up instead of a stalled queue. It runs
      // every second once the watch exists, and more often while the watch has not been confirmed.
      let connected = false;
      let fallback: NodeJS.Timeout | undefined;
      const scheduleFallback = () => {
        fallback = setTimeout(
          () => {
            checkGone();
            if (!settled) scheduleFallback();
          },
          connected ? FALLBACK_CHECK_MS : UNCONFIRMED_WATCH_CHECK_MS,
        );
      };
      watcher.once('connected', () => {
        connected = true;
        checkGone();
      });
      scheduleFallback();
      const onAbort = () => finish(() => reject(signal.reason));
      const stopSession = session.onLost((_reason, cause) =>
        finish(() => reject(this.waiterLost(session, cause))),
      );
      signal.addEventListener('abort', onAbort, { once: true });
      // etcd3 emits one 'put' or 'delete' per event, before any later 'data' listener would run.
      watcher.on('put', () => {
        if (!settled) stats.watchEvents += 1;
      });
      watcher.on('delete', () => {
        if (settled) return;
        stats.watchEvents += 1;
        stats.wakeups += 1;
        finish(resolve);
      });
      // A compacted start revision or a broken stream: look again after a short pause.
      watcher.on('error', () => {
        setTimeout(() => finish(resolve), 50);
      });
    });
  }

  /**
   * Deletes our key (only if its create revision is still `revision`, when given) and then frees the local
   * turn. If the first attempt's outcome is unknown, resolves `undefined` at once and keeps retrying in the
   * background, holding the turn, until it succeeds or the session ends (its keys then die with the lease).
   */
  private removeKey(
    session: EtcdSession,
    key: string,
    revision: bigint | undefined,
    slot: LocalSlot,
  ): Promise<boolean | undefined> {
    const attempt = async (): Promise<boolean> => {
      const keyBuffer = Buffer.from(key);
      const reply = await this.backend.client.kv.txn(
        {
          compare:
            revision === undefined
              ? []
              : [{ key: keyBuffer, target: 'Create', result: 'Equal', create_revision: revision.toString() }],
          success: [{ request_delete_range: { key: keyBuffer } }],
          failure: [{ request_range: { key: keyBuffer, keys_only: true } }],
        },
        this.callOptions(),
      );
      if (revision === undefined) return reply.responses[0]?.response_delete_range.deleted !== '0';
      if (reply.succeeded) return true;
      if ((reply.responses[0]?.response_range.kvs.length ?? 0) > 0) return false;
      // The key is gone. etcd3 resends a request whose attempt timed out (during an election, say), so this may
      // be our own earlier attempt that was applied after all; then the session's lease is still alive. If the
      // lease is gone, the key went with it: the grant was lost before this release.
      const lease = await this.backend.client.leaseClient.leaseTimeToLive(
        { ID: session.leaseId.toString() },
        this.callOptions(),
      );
      return Number(lease.TTL) > 0;
    };
    return attempt().then(
      (removed) => {
        slot.leave();
        return removed;
      },
      () => {
        void (async () => {
          while (!session.lost) {
            await sleep(CLEANUP_RETRY_MS);
            try {
              await attempt();
              break;
            } catch {
              // Still unknown: try again while the session lives.
            }
          }
          slot.leave();
        })();
        return undefined;
      },
    );
  }

  private grant(
    session: EtcdSession,
    slot: LocalSlot,
    key: string,
    token: bigint,
    startedAt: number,
  ): EtcdGrant {
    return {
      token,
      ttlMs: session.ttlMs,
      startedAt,
      key,
      session,
      slot,
      releasing: false,
      removal: undefined,
    };
  }

  /** The rejection of a waiter whose session ended: it was never granted. */
  private waiterLost(session: EtcdSession, cause?: unknown): LockLostError {
    return new LockLostError(this.name, 'session-lost', {
      cause,
      detail: `the waiter's session lease ${session.leaseHex} ended while it was queued; it was never granted`,
    });
  }

  private callOptions(): { deadline: number } | undefined {
    return this.backend.callOptions();
  }
}

/** A per-lock or per-acquire TTL other than the provider's: its session lease is the one TTL its locks have. */
export function sessionTtlMismatch(
  ttlMs: number,
  sessionTtlMs: number,
  lockName: string,
): InvalidArgumentError {
  return new InvalidArgumentError(
    'options.ttlMs',
    ttlMs,
    `the provider's session TTL (${sessionTtlMs} ms) or no ttlMs: every lock of a provider shares its one session lease; create another provider for another TTL`,
    lockName,
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function noop(): void {}
