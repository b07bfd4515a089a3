import { type AcquireRequest, monotonicNow, raceSignal } from '@lock/core';
import { grantedToken } from '../shared/fence.js';
import { newOwnerId } from '../shared/owner-id.js';
import { runScript } from '../shared/run-script.js';
import { MODE_QUEUE, MODE_TRY } from '../shared/scripts.js';
import { confirm } from './confirm.js';
import { leave } from './leave.js';
import type { LockContext, RedisGrant } from './lock-context.js';
import { PLACE_LIFE_MS } from './queue-places.js';
import { recheckFor, waiterLifeMs, waitForGrant } from './wait.js';

/**
 * Acquires a Redis lock. One route: the acquire script is sent once (try mode for `tryAcquire`, else try-or-queue)
 * and either grants (the token comes back) or queues this owner id, which then waits for its grant. Two shortcuts
 * skip that first round trip: a place in the queue kept by this handle's last release, and a lock that was busy
 * at the last acquisition (enqueue and block in one pipeline on a waiter connection). A reply that never came
 * leaves an unknown outcome: the script may still grant or queue, so a leave by owner id is queued behind it.
 */
export function acquire(lock: LockContext, request: AcquireRequest): Promise<RedisGrant | null> {
  const place = lock.places.take(request);
  // Validity is counted from the release that queued the place: a grant handed to it is no older.
  if (place !== undefined) return waitForGrant(lock, place.owner, request, place.sentAt, PLACE_LIFE_MS / 2);
  const owner = newOwnerId();
  // The last acquisition had to queue: enqueue and block in one pipeline on a waiter connection, which saves
  // this process a round trip and a wake-up per acquisition while the lock is busy.
  if (request.wait && lock.contended) return waitForGrant(lock, owner, request, undefined);
  const { client, deadlines, fenceRetentionMs } = lock.backend;
  const { ttlMs, wait } = request;
  const startedAt = monotonicNow();
  const reply = deadlines.bound(
    runScript(client, lock.protocol.acquire, lock.keys.all, [
      owner,
      ttlMs,
      wait ? MODE_QUEUE : MODE_TRY,
      wait ? waiterLifeMs(recheckFor(lock, ttlMs)) : 0,
      fenceRetentionMs,
      ...lock.protocol.acquireArgs,
    ]),
    wait ? 'acquire' : 'tryAcquire',
  );
  return raceSignal(reply, request.signal).then(
    (answer) => {
      const token = grantedToken(answer);
      if (token !== undefined) {
        // The hot path: granted in one round trip, nothing more to confirm without replica acknowledgement.
        if (lock.backend.waitReplicas === 0) return { token, ttlMs, startedAt, owner };
        return confirm(lock, client, owner, token, ttlMs, startedAt);
      }
      // A semaphore whose holders use other permits: nothing was queued.
      const refused = lock.protocol.refusal(answer, lock.name);
      if (refused !== undefined) throw refused;
      if (!wait) return null;
      // The server answered: the lock is held and this acquisition waits in line (its deadline runs from now).
      lock.contended = true;
      request.queued();
      return waitForGrant(lock, owner, request, startedAt);
    },
    // Unknown outcome (an error, an abort, or no reply in time: the script may still run when the server is
    // back): it may have granted or queued; the undo is queued behind it on the same connection (F13).
    (error: unknown) => leave(lock, owner).then(() => Promise.reject(error)),
  );
}
