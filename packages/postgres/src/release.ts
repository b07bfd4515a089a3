import type { PostgresLockBackend } from './lock-backend.js';
import type { PostgresGrant } from './postgres-grant.js';
import { releaseStatement } from './statements.js';

/**
 * Releases a grant on the session that holds it, once (later calls get the same answer), and hands the
 * key's local turn on. `true` when this released a lock still held; `false` when its session had already
 * ended (the lock went with it). If the unlock fails, the session is ended: that frees the lock for sure.
 * @internal
 */
export function releaseGrant(backend: PostgresLockBackend, grant: PostgresGrant): Promise<boolean> {
  grant.releasing ??= unlock(backend, grant);
  return grant.releasing;
}

async function unlock(backend: PostgresLockBackend, grant: PostgresGrant): Promise<boolean> {
  const session = grant.session;
  try {
    if (session.lost) return false;
    const rows = await session.query(releaseStatement(grant.mode), [grant.key.toString()]);
    return rows[0]?.released === true;
  } catch (error) {
    if (session.lost) return false;
    session.end(error);
    return true;
  } finally {
    session.holds -= 1;
    const left = (session.keys.get(grant.key) ?? 1) - 1;
    if (left > 0) session.keys.set(grant.key, left);
    else session.keys.delete(grant.key);
    backend.turns.leave(grant.key, grant.mode);
    backend.giveBackWaitSession(session);
  }
}
