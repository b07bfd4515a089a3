import type { RedisLockClient } from '../shared/redis-client.js';
import { runScript } from '../shared/run-script.js';
import { EXTENDED } from '../shared/scripts.js';
import type { LockContext, RedisGrant } from './lock-context.js';

/**
 * Renews a grant for `ttlMs` from now, only if the key still holds its owner id (compare-and-pexpire: an
 * expired grant is never recreated). Resolves false when it is gone. `connection` is the main one unless the
 * renewal must be written on another (a handed-over grant confirmed by `WAIT` on the waiter's connection).
 */
export function extend(
  lock: LockContext,
  grant: Pick<RedisGrant, 'owner'>,
  ttlMs: number,
  connection: RedisLockClient = lock.backend.client,
): Promise<boolean> {
  return runScript(connection, lock.protocol.extend, lock.keys.extend, [
    grant.owner,
    ttlMs,
    lock.backend.fenceRetentionMs,
  ]).then(isExtended);
}

function isExtended(outcome: unknown): boolean {
  return outcome === EXTENDED;
}
