import { monotonicNow, withinGrace } from '@lock/core';
import { runScript } from '../shared/run-script.js';
import { FREED, HANDED_OVER, STAY } from '../shared/scripts.js';
import { CLEANUP_GRACE_MS } from './leave.js';
import type { LockContext, RedisGrant } from './lock-context.js';
import { PLACE_LIFE_MS } from './queue-places.js';

/**
 * Releases a grant: compare-and-delete by owner id, or a handoff to the next live waiter in the same script.
 * While the lock is busy, the release also keeps a place in the queue for this handle's next acquisition.
 * Resolves true if the grant was still ours.
 */
export function release(lock: LockContext, grant: RedisGrant): Promise<boolean> {
  const { backend, places } = lock;
  const closing = backend.closing();
  const place = places.forRelease(closing);
  const sentAt = monotonicNow();
  const retention = backend.fenceRetentionMs;
  const args: Array<string | number> =
    place === undefined
      ? [grant.owner, STAY, retention]
      : [grant.owner, STAY, retention, place, PLACE_LIFE_MS, grant.ttlMs];
  const released = runScript(backend.client, lock.protocol.release, lock.keys.all, args).then(
    (outcome) => {
      places.released(outcome, place, sentAt, grant.ttlMs, closing);
      return outcome === FREED || outcome === HANDED_OVER;
    },
    (error: unknown) => {
      // Unknown outcome: the place may have been queued; leave it (queued behind the release).
      places.releaseFailed(place);
      throw error;
    },
  );
  // A server that is down must not hold the caller (or close()) up forever: ioredis queues the release until
  // it reconnects, and it is still applied then (compare-and-delete by owner id, so it is safe late); until
  // then the grant simply runs out with its TTL.
  return closing
    ? withinGrace(released, CLEANUP_GRACE_MS * 4, false)
    : backend.deadlines.bound(released, 'release');
}
