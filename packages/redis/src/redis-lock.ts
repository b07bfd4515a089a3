import { randomBytes } from 'node:crypto';
import {
  type AcquireRequest,
  BaseLock,
  type BaseLockSettings,
  type Capabilities,
  type Grant,
  LockBackendError,
  monotonicNow,
  ProviderClosedError,
  raceSignal,
} from '@lock/core';
import type { BlockingPool } from './blocking-pool.js';
import type { Acquisitions } from './close-cleanup.js';
import type { CommandDeadlines } from './command-deadlines.js';
import { CommandTimeoutError } from './command-timeout-error.js';
import { grantedToken } from './fence.js';
import { type LockKeys, lockKeys, waiterKey } from './lock-keys.js';
import type { RedisLockClient } from './redis-client.js';
import { ReplicaAckError } from './replica-ack-error.js';
import { runScript } from './run-script.js';
import { ACQUIRE, EXTEND, LEAVE, MODE_QUEUE, MODE_RECHECK, MODE_TRY, RELEASE, STAY } from './scripts.js';

/** One grant of a {@link RedisLock}. */
export interface RedisGrant extends Grant {
  readonly token: bigint;
  readonly ttlMs: number;
  readonly startedAt: number;
  /** Random owner id stored as the key's value for this grant. */
  readonly owner: string;
}

/** What a {@link RedisLock} shares with its provider. @internal */
export interface RedisLockBackend {
  readonly client: RedisLockClient;
  readonly pool: BlockingPool;
  readonly prefix: string;
  readonly capabilities: Capabilities;
  readonly recheckMs: number;
  readonly waitReplicas: number;
  readonly waitTimeoutMs: number;
  /** How long a fence counter outlives its latest grant's TTL, in ms; 0 keeps it forever. */
  readonly fenceRetentionMs: number;
  /** The longest we wait for a reply (a `BLPOP`: for its own timeout plus this) before failing the call. */
  readonly commandTimeoutMs: number;
  /** Bounds the waits for replies (`commandTimeoutMs`). */
  readonly deadlines: CommandDeadlines;
  /** Cleanups under way (places given up); `leftoverKeys()` and `close()` wait for them. */
  readonly cleanups: Set<Promise<unknown>>;
  /** Gives up the queue place a lock handle holds; `close()` calls them all. */
  readonly places: Set<() => void>;
  /** Acquisitions under way; `close()` wakes their waiters and waits for them before it disconnects. */
  readonly acquisitions: Acquisitions;
  /** True once the provider is closing: releases then wait a bounded time (the server may be gone). */
  readonly closing: () => boolean;
}

/**
 * Owner ids: a random per-process prefix (96 bits) and a counter. Unique across processes and grants, and
 * cheaper than fresh random bytes per acquisition; the id is an identity, not a secret.
 */
const OWNER_PREFIX = randomBytes(12).toString('base64url');
let ownerCounter = 0;
function newOwnerId(): string {
  ownerCounter += 1;
  return `${OWNER_PREFIX}${ownerCounter.toString(36)}`;
}

/** Value pushed to a waiter's own list to end its `BLPOP` at once when it gives up. */
const GIVE_UP = 'x';
/** How long an abandoned acquisition waits for its cleanup before rejecting (the cleanup still completes). */
const CLEANUP_GRACE_MS = 250;

/**
 * A Redis lock: fenced (the fence counter is incremented in the acquire script), FIFO and push-woken (the
 * releaser hands the lock to the next live waiter inside its release script and pushes the new fence to that
 * waiter's list, where the waiter blocks in `BLPOP`), with renewal, deadlines and the lost signal from
 * `@lock/core`. Made by {@link RedisLockProvider}.
 */
export class RedisLock extends BaseLock<RedisGrant> {
  readonly capabilities: Capabilities;
  /** Key names of this lock. */
  readonly keys: LockKeys;
  private readonly backend: RedisLockBackend;
  /** Whether the last acquisition had to wait (then the next one goes straight to a waiter connection). */
  private contended = false;
  /**
   * A place in the queue taken by the last release (the release script queued this owner id at the tail as it
   * handed the lock on): an acquisition that follows at once only blocks for its grant. Given up (left) at
   * the next turn of the event loop if unused.
   */
  private place: QueuePlace | undefined;
  /**
   * Whether releases keep a place: only once this handle was seen acquiring again right after a release
   * (a loop), and until a kept place goes unused, so one-off acquisitions never pay for a place they leave.
   */
  private placesWanted = false;
  /** True from a contended release until the next turn of the event loop. */
  private justReleased = false;

  /** @internal Use `provider.lock(name)`. */
  constructor(name: string, settings: BaseLockSettings, backend: RedisLockBackend) {
    super(name, settings);
    this.backend = backend;
    this.capabilities = backend.capabilities;
    this.keys = lockKeys(backend.prefix, name);
  }

  protected acquireGrant(request: AcquireRequest): Promise<RedisGrant | null> {
    this.backend.acquisitions.begin();
    let acquisition: Promise<RedisGrant | null>;
    try {
      acquisition = this.startAcquisition(request);
    } catch (error) {
      this.backend.acquisitions.end();
      throw error;
    }
    return acquisition.then(this.settled, this.failed);
  }

  /** Ends an acquisition for `close()`; a grant that arrives while the provider closes is given back first. */
  private readonly settled = (grant: RedisGrant | null): RedisGrant | null | Promise<never> => {
    if (grant === null || !this.backend.closing()) {
      this.backend.acquisitions.end();
      return grant;
    }
    return this.releaseGrant(grant)
      .catch(noop)
      .then(() => {
        this.backend.acquisitions.end();
        throw this.providerClosed();
      });
  };

  private readonly failed = (error: unknown): never => {
    this.backend.acquisitions.end();
    throw error;
  };

  private providerClosed(): ProviderClosedError {
    return new ProviderClosedError(this.capabilities.backend, 'acquire', this.name);
  }

  private startAcquisition(request: AcquireRequest): Promise<RedisGrant | null> {
    const place = this.place;
    if (place !== undefined) {
      this.place = undefined;
      // Validity is counted from the release that queued the place: a grant handed to it is no older.
      if (request.wait && place.ttlMs === request.ttlMs)
        return this.blockForGrant(place.owner, request, place.sentAt, PLACE_LIFE_MS / 2);
      this.giveUp(place.owner);
    } else if (this.justReleased && request.wait) {
      this.placesWanted = true;
    }
    const owner = newOwnerId();
    if (!request.wait) return this.tryOnce(owner, request.ttlMs);
    if (this.contended) {
      // The last acquisition had to queue: enqueue and block in one pipeline on a waiter connection, which
      // saves this process a round trip and a wake-up per acquisition while the lock is busy.
      return this.blockForGrant(owner, request, undefined);
    }
    if (request.signal === undefined && this.backend.waitReplicas === 0) {
      // Hot path (no signal, no WAIT): one script call, and only a queued waiter goes on to block.
      const startedAt = monotonicNow();
      const ttlMs = request.ttlMs;
      return this.backend.deadlines
        .bound(
          runScript(this.backend.client, ACQUIRE, this.keys.all, [
            owner,
            ttlMs,
            MODE_QUEUE,
            waiterLifeMs(this.recheckMs(ttlMs)),
            this.backend.fenceRetentionMs,
          ]),
          'acquire',
        )
        .then(
          (reply) => {
            const token = grantedToken(reply);
            if (token !== undefined) return { token, ttlMs, startedAt, owner };
            this.contended = true;
            request.queued();
            return this.blockForGrant(owner, request, startedAt);
          },
          // Unknown outcome (an error, or no reply in time: the script may still run when the server is back):
          // it may have granted or queued; the undo is queued behind it on the same connection (F13).
          (error: unknown) => this.leave(owner).then(() => Promise.reject(error)),
        );
    }
    return this.waitForGrant(owner, request);
  }

  protected releaseGrant(grant: RedisGrant): Promise<boolean> {
    const closing = this.backend.closing();
    // While the lock is busy, keep a place in the queue for the next acquisition of this handle.
    const place =
      this.contended && this.placesWanted && !closing && this.place === undefined ? newOwnerId() : undefined;
    const sentAt = monotonicNow();
    const retention = this.backend.fenceRetentionMs;
    const args: Array<string | number> =
      place === undefined
        ? [grant.owner, STAY, retention]
        : [grant.owner, STAY, retention, place, PLACE_LIFE_MS, grant.ttlMs];
    const released = runScript(this.backend.client, RELEASE, this.keys.all, args).then(
      (outcome) => {
        if (place === undefined) {
          if (outcome === 2 && this.contended && !closing) this.noteRelease();
        } else {
          if (outcome === 2) this.keepPlace({ owner: place, sentAt, ttlMs: grant.ttlMs });
          // 0 after a resend may hide a first run that queued the place: leave it to be sure.
          else if (outcome === 0) this.giveUp(place);
        }
        return isReleased(outcome);
      },
      (error: unknown) => {
        // Unknown outcome: the place may have been queued; leave it (queued behind the release).
        if (place !== undefined) this.giveUp(place);
        throw error;
      },
    );
    // A server that is down must not hold the caller (or close()) up forever: ioredis queues the release until
    // it reconnects, and it is still applied then (compare-and-delete by owner id, so it is safe late); until
    // then the grant simply runs out with its TTL.
    return closing
      ? withinGrace(released, CLEANUP_GRACE_MS * 4, false)
      : this.backend.deadlines.bound(released, 'release');
  }

  protected override extendGrant(grant: RedisGrant, ttlMs: number): Promise<boolean> {
    return runScript(this.backend.client, EXTEND, this.keys.extend, [
      grant.owner,
      ttlMs,
      this.backend.fenceRetentionMs,
    ]).then(isOne);
  }

  /** Holds a place until the next turn of the event loop: an acquire in the same chain of promises uses it. */
  private keepPlace(place: QueuePlace): void {
    this.place = place;
    const places = this.backend.places;
    const abandon = () => {
      places.delete(abandon);
      if (this.place !== place) return;
      this.place = undefined;
      this.placesWanted = false;
      this.giveUp(place.owner);
    };
    places.add(abandon);
    setImmediate(abandon);
  }

  /** Marks a contended release until the next turn of the event loop (an acquire before then turns places on). */
  private noteRelease(): void {
    if (this.justReleased) return;
    this.justReleased = true;
    setImmediate(() => {
      this.justReleased = false;
    });
  }

  /** Leaves the queue in the background (and hands on a grant made to this owner id meanwhile). */
  private giveUp(owner: string): void {
    const cleanups = this.backend.cleanups;
    const cleanup = this.leave(owner).finally(() => cleanups.delete(cleanup));
    cleanups.add(cleanup);
  }

  /** Re-check interval for a TTL: the provider's, but well inside the TTL. */
  private recheckMs(ttlMs: number): number {
    return Math.max(1, Math.min(this.backend.recheckMs, Math.floor(ttlMs / 4)));
  }

  /** One round trip: the acquire script in try mode, never queued. */
  private async tryOnce(owner: string, ttlMs: number): Promise<RedisGrant | null> {
    const client = this.backend.client;
    const sentAt = monotonicNow();
    let token: bigint | undefined;
    try {
      const reply = runScript(client, ACQUIRE, this.keys.all, [
        owner,
        ttlMs,
        MODE_TRY,
        0,
        this.backend.fenceRetentionMs,
      ]);
      token = grantedToken(await this.backend.deadlines.bound(reply, 'tryAcquire'));
    } catch (error) {
      // The script may still grant when the server answers late: undo it by owner id, queued behind it.
      await this.leave(owner);
      throw error;
    }
    return token === undefined ? null : this.confirm(client, owner, token, ttlMs, sentAt);
  }

  private async waitForGrant(owner: string, request: AcquireRequest): Promise<RedisGrant> {
    const signal = request.signal;
    const ttlMs = request.ttlMs;
    const startedAt = monotonicNow();
    let token: bigint | undefined;
    try {
      const reply = runScript(this.backend.client, ACQUIRE, this.keys.all, [
        owner,
        ttlMs,
        MODE_QUEUE,
        waiterLifeMs(this.recheckMs(ttlMs)),
        this.backend.fenceRetentionMs,
      ]);
      token = grantedToken(await raceSignal(this.backend.deadlines.bound(reply, 'acquire'), signal));
    } catch (error) {
      await this.leave(owner);
      throw error;
    }
    if (token !== undefined) return this.confirm(this.backend.client, owner, token, ttlMs, startedAt);
    this.contended = true;
    // The server answered: the lock is held and this acquisition waits in line (its deadline runs from now).
    request.queued();
    return this.blockForGrant(owner, request, startedAt);
  }

  /**
   * A waiter: BLPOP on its own list on a pooled connection, with a re-check every `recheckMs`. With
   * `enqueuedAt` the waiter was queued already (at that time); without, the first pipeline enqueues it.
   */
  private async blockForGrant(
    owner: string,
    request: AcquireRequest,
    enqueuedAt: number | undefined,
    firstWaitMs?: number,
  ): Promise<RedisGrant> {
    const { client, pool, commandTimeoutMs } = this.backend;
    if (this.backend.closing()) {
      // Queued by a reply that came back while the provider closes: leave at once, take no connection.
      await this.leave(owner);
      throw this.providerClosed();
    }
    const signal = request.signal;
    const ttlMs = request.ttlMs;
    // Re-check well inside the TTL: a lost push, or a holder that expired instead of releasing, costs at most this.
    const recheckMs = this.recheckMs(ttlMs);
    const lifeMs = waiterLifeMs(recheckMs);
    let startedAt = enqueuedAt ?? 0;
    const listKey = waiterKey(this.keys, owner);
    const retention = this.backend.fenceRetentionMs;
    // Queued already (by an answered enqueue, or a place kept by an answered release): the deadline runs.
    if (enqueuedAt !== undefined) request.queued();
    const connection = pool.take();
    let recheck = enqueuedAt === undefined;
    let first = true;
    // Set when a BLPOP never answered: the connection is dropped rather than reused.
    let stuck = false;
    let givingUp: Promise<unknown> | undefined;
    const giveUp = () => {
      // Sent together with an expiry: if the leave that deletes the list never reaches the server (closed or
      // unreachable), the marker does not stay forever.
      givingUp ??= Promise.all([client.rpush(listKey, GIVE_UP), client.pexpire(listKey, lifeMs)]).catch(noop);
    };
    const { acquisitions, closing } = this.backend;
    signal?.addEventListener('abort', giveUp, { once: true });
    // close() wakes the waiter the same way, so it leaves the queue before the connections close.
    acquisitions.blocked(giveUp);
    try {
      while (!signal?.aborted && !closing()) {
        const sentAt = monotonicNow();
        // Re-check and block in one pipeline on the waiter's connection: whatever grants the lock after the
        // re-check is read by the BLPOP behind it, so validity can be counted from this send time.
        // One write for both commands (one syscall instead of two), when the connection exposes its socket.
        const socket = recheck ? streamOf(connection) : undefined;
        socket?.cork();
        const check = recheck
          ? // EVALSHA without runScript's EVAL fallback, which would queue behind the BLPOP on this connection.
            connection
              .evalsha(ACQUIRE.sha, 4, ...this.keys.all, owner, ttlMs, MODE_RECHECK, lifeMs, retention)
              .then(
                (reply) => {
                  if (grantedToken(reply) === undefined) request.queued();
                  // Granted at once by the enqueue itself: the lock is no longer busy, use the fast path next.
                  else if (first) this.contended = false;
                },
                (error: unknown) =>
                  // An emptied script cache (server restart): run the re-check once on the main connection,
                  // which loads the script; a grant it makes lands in the list the BLPOP is waiting on.
                  error instanceof Error && error.message.startsWith('NOSCRIPT')
                    ? runScript(client, ACQUIRE, this.keys.all, [
                        owner,
                        ttlMs,
                        MODE_RECHECK,
                        lifeMs,
                        retention,
                      ]).then(noop, (retry: unknown) => retry)
                    : error,
              )
          : undefined;
        // A kept place lives only PLACE_LIFE_MS: re-check (which keeps the position) well before it ends.
        const waitMs = first && firstWaitMs !== undefined ? Math.min(firstWaitMs, recheckMs) : recheckMs;
        const pop = connection.blpop(listKey, waitMs / 1000);
        socket?.uncork();
        let popped: [string, string] | null;
        try {
          popped = await boundedPop(pop, recheckMs + commandTimeoutMs, signal, this.backend.deadlines);
        } catch (error) {
          stuck = true;
          // Drop the connection first: what ioredis still queues on it (this re-check) must never be resent
          // after the leave below.
          pool.discard(connection);
          throw error;
        }
        const checkError = await check;
        if (checkError !== undefined) throw checkError;
        if (recheck) startedAt = sentAt;
        recheck = true;
        first = false;
        if (popped === null || popped[1] === GIVE_UP || signal?.aborted || closing()) continue;
        return await this.confirm(connection, owner, BigInt(popped[1]), ttlMs, startedAt, true);
      }
    } catch (error) {
      await this.leave(owner);
      throw closing() ? this.providerClosed() : error;
    } finally {
      signal?.removeEventListener('abort', giveUp);
      acquisitions.unblocked(giveUp);
      if (!stuck) pool.give(connection);
    }
    // Aborted, or the provider is closing: remove the queue entry and list, and give back a grant that raced it.
    await withinGrace(givingUp, CLEANUP_GRACE_MS, undefined);
    await this.leave(owner);
    throw signal?.aborted ? signal.reason : this.providerClosed();
  }

  /**
   * With `waitReplicas`, `WAIT` on the connection that carried the grant; release and fail if unacknowledged.
   * `WAIT` counts only the writes of its own connection, and a grant handed over by a release was written by
   * the releaser's connection: so a handed-over grant is first renewed (compare-and-pexpire) on this
   * connection. Replication is one ordered stream, so acknowledging that write acknowledges the handoff too.
   */
  private async confirm(
    connection: RedisLockClient,
    owner: string,
    token: bigint,
    ttlMs: number,
    startedAt: number,
    handedOver = false,
  ): Promise<RedisGrant> {
    const grant: RedisGrant = { token, ttlMs, startedAt, owner };
    const { waitReplicas, waitTimeoutMs } = this.backend;
    if (waitReplicas > 0) {
      let acknowledged: number;
      try {
        if (handedOver) {
          const renewed = await this.backend.deadlines.bound(
            runScript(connection, EXTEND, this.keys.extend, [
              owner,
              ttlMs,
              this.backend.fenceRetentionMs,
            ]).then(isOne),
            'EXTEND',
            this.backend.commandTimeoutMs,
          );
          if (!renewed)
            throw new LockBackendError('redis', 'acquire', {
              lockName: this.name,
              detail: 'the handed-over grant was gone before replicas could acknowledge it',
            });
        }
        acknowledged = Number(
          await this.backend.deadlines.bound(
            connection.wait(waitReplicas, waitTimeoutMs),
            'WAIT',
            waitTimeoutMs + this.backend.commandTimeoutMs,
          ),
        );
      } catch (error) {
        await this.releaseGrant(grant).catch(noop);
        throw error;
      }
      if (acknowledged < waitReplicas) {
        await this.releaseGrant(grant).catch(noop);
        throw new ReplicaAckError(this.name, waitReplicas, acknowledged, waitTimeoutMs);
      }
    }
    return grant;
  }

  /** Leaves the queue (and releases a grant handed over meanwhile); bounded wait, the script still runs. */
  private leave(owner: string): Promise<unknown> {
    return withinGrace(
      runScript(this.backend.client, RELEASE, this.keys.all, [
        owner,
        LEAVE,
        this.backend.fenceRetentionMs,
      ]).catch(noop),
      CLEANUP_GRACE_MS,
      undefined,
    );
  }
}

/** A queue entry kept by a release for the next acquisition of the same handle. */
interface QueuePlace {
  readonly owner: string;
  /** Send time of the release that queued it. */
  readonly sentAt: number;
  /** The TTL it will be granted with. */
  readonly ttlMs: number;
}

/**
 * A waiter's `BLPOP`, bounded: rejects with a {@link CommandTimeoutError} after `limitMs` (its own timeout
 * plus `commandTimeoutMs`: the server is gone), and with `signal.reason` when, after an abort, the pop does not
 * end within the cleanup grace (normally the give-up marker ends it at once).
 */
function boundedPop<T>(
  pop: Promise<T>,
  limitMs: number,
  signal: AbortSignal | undefined,
  deadlines: CommandDeadlines,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const expire = () => {
      signal?.removeEventListener('abort', onAbort);
      reject(
        signal?.aborted ? signal.reason : new CommandTimeoutError('BLPOP', limitMs, deadlines.connection),
      );
    };
    let timer = setTimeout(expire, limitMs);
    const onAbort = () => {
      clearTimeout(timer);
      timer = setTimeout(expire, CLEANUP_GRACE_MS);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    pop.then(
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });
}

/** Settles with `operation`, or with `fallback` after `graceMs` (the operation goes on). */
function withinGrace<T>(operation: Promise<T> | undefined, graceMs: number, fallback: T): Promise<T> {
  if (operation === undefined) return Promise.resolve(fallback);
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), graceMs);
  });
  return Promise.race([operation, grace]).finally(() => clearTimeout(timer));
}

/**
 * The socket of an ioredis `Redis` connection that is ready (commands are written at once), to cork two
 * commands into one write; undefined otherwise (a `Cluster`, or a connection that queues offline).
 */
function streamOf(connection: RedisLockClient): { cork(): void; uncork(): void } | undefined {
  const candidate = connection as { status?: string; stream?: { cork?: unknown; uncork?: unknown } };
  const stream = candidate.status === 'ready' ? candidate.stream : undefined;
  return typeof stream?.cork === 'function' && typeof stream.uncork === 'function'
    ? (stream as { cork(): void; uncork(): void })
    : undefined;
}

/**
 * How long a place kept by a release stays valid without a re-check. Short, because nothing proves the handle
 * will use it: if the process exits without `close()` just after the release, a handoff that reaches the place
 * within this time grants the lock to no one (it is then held until its TTL, as with a crashed waiter).
 */
const PLACE_LIFE_MS = 250;

/** A waiter that has not re-checked for this long is dead and skipped by the handoff. */
function waiterLifeMs(recheckMs: number): number {
  return 2 * recheckMs + 500;
}

function isReleased(outcome: unknown): boolean {
  return outcome === 1 || outcome === 2;
}

function isOne(outcome: unknown): boolean {
  return outcome === 1;
}

function noop(): void {}
