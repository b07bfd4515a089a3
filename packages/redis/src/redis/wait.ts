import { type AcquireRequest, monotonicNow, noop, withinGrace } from '@lock/core';
import { grantedToken } from '../shared/fence.js';
import { waiterKey } from '../shared/lock-keys.js';
import type { RedisLockClient } from '../shared/redis-client.js';
import { runScript } from '../shared/run-script.js';
import { MODE_RECHECK } from '../shared/scripts.js';
import type { CommandDeadlines } from './command-deadlines.js';
import { CommandTimeoutError } from './command-timeout-error.js';
import { confirm } from './confirm.js';
import { CLEANUP_GRACE_MS, leave } from './leave.js';
import type { LockContext, RedisGrant } from './lock-context.js';

/** Value pushed to a waiter's own list to end its `BLPOP` at once when it gives up. */
const GIVE_UP = 'x';

/**
 * A queued waiter: `BLPOP` on its own list on a pooled connection, where the releaser's handoff pushes the new
 * fence, with a re-check every `recheckMs` (which also keeps its place alive in the queue). With `enqueuedAt`
 * the waiter was queued already (at that time); without, the first pipeline enqueues it. `firstWaitMs` bounds
 * the first block (a kept place lives only that long without a re-check). On abort or close the waiter leaves
 * the queue, giving back a grant that raced it.
 */
export async function waitForGrant(
  lock: LockContext,
  owner: string,
  request: AcquireRequest,
  enqueuedAt: number | undefined,
  firstWaitMs?: number,
): Promise<RedisGrant> {
  const { client, pool, commandTimeoutMs, deadlines, acquisitions, closing } = lock.backend;
  if (closing()) {
    // Queued by a reply that came back while the provider closes: leave at once, take no connection.
    await leave(lock, owner);
    throw lock.providerClosed();
  }
  const { signal, ttlMs } = request;
  const keys = lock.keys.all;
  const { acquire: script, acquireArgs, refusal } = lock.protocol;
  // Re-check well inside the TTL: a lost push, or a holder that expired instead of releasing, costs at most this.
  const recheckMs = recheckFor(lock, ttlMs);
  const lifeMs = waiterLifeMs(recheckMs);
  let startedAt = enqueuedAt ?? 0;
  const listKey = waiterKey(lock.keys, owner);
  const retention = lock.backend.fenceRetentionMs;
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
            .evalsha(
              script.sha,
              keys.length,
              ...keys,
              owner,
              ttlMs,
              MODE_RECHECK,
              lifeMs,
              retention,
              ...acquireArgs,
            )
            .then(
              (reply) => {
                const refused = refusal(reply, lock.name);
                if (refused !== undefined) {
                  // Nothing was queued: end the BLPOP behind it at once, and fail with the refusal.
                  giveUp();
                  return refused;
                }
                if (grantedToken(reply) === undefined) request.queued();
                // Granted at once by the enqueue itself: the lock is no longer busy, use the fast path next.
                else if (first) lock.contended = false;
              },
              (error: unknown) =>
                // An emptied script cache (server restart): run the re-check once on the main connection,
                // which loads the script; a grant it makes lands in the list the BLPOP is waiting on.
                error instanceof Error && error.message.startsWith('NOSCRIPT')
                  ? runScript(client, script, keys, [
                      owner,
                      ttlMs,
                      MODE_RECHECK,
                      lifeMs,
                      retention,
                      ...acquireArgs,
                    ]).then(
                      (reply) => {
                        const refused = refusal(reply, lock.name);
                        if (refused !== undefined) giveUp();
                        return refused;
                      },
                      (retry: unknown) => retry,
                    )
                  : error,
            )
        : undefined;
      // A kept place lives only PLACE_LIFE_MS: re-check (which keeps the position) well before it ends.
      const waitMs = first && firstWaitMs !== undefined ? Math.min(firstWaitMs, recheckMs) : recheckMs;
      const pop = connection.blpop(listKey, waitMs / 1000);
      socket?.uncork();
      let popped: [string, string] | null;
      try {
        popped = await boundedPop(pop, recheckMs + commandTimeoutMs, signal, deadlines);
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
      return await confirm(lock, connection, owner, BigInt(popped[1]), ttlMs, startedAt, true);
    }
  } catch (error) {
    await leave(lock, owner);
    throw closing() ? lock.providerClosed() : error;
  } finally {
    signal?.removeEventListener('abort', giveUp);
    acquisitions.unblocked(giveUp);
    if (!stuck) pool.give(connection);
  }
  // Aborted, or the provider is closing: remove the queue entry and list, and give back a grant that raced it.
  await withinGrace(givingUp, CLEANUP_GRACE_MS, undefined);
  await leave(lock, owner);
  throw signal?.aborted ? signal.reason : lock.providerClosed();
}

/** A waiter's re-check interval for a TTL: the provider's, but well inside the TTL. */
export function recheckFor(lock: LockContext, ttlMs: number): number {
  return Math.max(1, Math.min(lock.backend.recheckMs, Math.floor(ttlMs / 4)));
}

/** A waiter that has not re-checked for this long is dead and skipped by the handoff. */
export function waiterLifeMs(recheckMs: number): number {
  return 2 * recheckMs + 500;
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
