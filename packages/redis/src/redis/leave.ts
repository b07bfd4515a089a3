import { noop, withinGrace } from '@lock/core';
import { runScript } from '../shared/run-script.js';
import { LEAVE } from '../shared/scripts.js';
import type { LockContext } from './lock-context.js';

/** How long an abandoned acquisition waits for its cleanup before rejecting (the cleanup still completes). */
export const CLEANUP_GRACE_MS = 250;

/**
 * Leaves the queue: removes the owner's entry and list, and releases a grant handed to it meanwhile (the
 * release script with LEAVE, so the lock goes on to the next waiter). The undo of every acquisition that did
 * not end in a lease. Waits at most {@link CLEANUP_GRACE_MS}; the script still runs when the server answers late.
 */
export function leave(lock: LockContext, owner: string): Promise<unknown> {
  const { client, fenceRetentionMs } = lock.backend;
  return withinGrace(
    runScript(client, lock.protocol.release, lock.keys.all, [owner, LEAVE, fenceRetentionMs]).catch(noop),
    CLEANUP_GRACE_MS,
    undefined,
  );
}

/** Leaves the queue in the background; `leftoverKeys()` and `close()` wait for it. */
export function giveUp(lock: LockContext, owner: string): void {
  const cleanups = lock.backend.cleanups;
  const cleanup = leave(lock, owner).finally(() => cleanups.delete(cleanup));
  cleanups.add(cleanup);
}
