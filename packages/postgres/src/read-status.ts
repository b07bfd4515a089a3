import type { LockParticipant, LockStatus } from '@lock/core';
import type { PostgresSession } from './postgres-session.js';
import { LOCK_QUEUE, lastIssued } from './statements.js';

/** What `status()` says in PostgreSQL's terms. */
export interface PostgresStatusDetails extends Readonly<Record<string, unknown>> {
  /** The advisory key of the name, as `pg_advisory_lock` takes it (a bigint, in decimal). */
  readonly key: string;
  /** Callers of this provider waiting for their local turn (not yet in the server's queue). */
  readonly localWaiters: number;
  /** The latest token the fence sequence issued, for any name (tokens come from one sequence). */
  readonly lastIssued: string | null;
}

/**
 * Holders and waiters of a key from `pg_locks` (a bigint key shows as classid = high 32 bits, objid = low 32
 * bits, objsubid = 1), waiters in the order they started waiting, and the latest token issued (any name).
 * A waiter's `ageMs` is the server's own clock now minus its `waitstart` (absent in the instant before the
 * server fills it in). Holders have none: `pg_locks` keeps no grant time, and the holding session runs other
 * statements (and holds other names) on the same connection, so none of `pg_stat_activity`'s times is the grant.
 * @internal
 */
export async function readStatus(
  session: PostgresSession,
  name: string,
  key: bigint,
  fenceSequence: string,
  localWaiters: number,
): Promise<LockStatus<PostgresStatusDetails>> {
  const unsigned = BigInt.asUintN(64, key);
  const classid = (unsigned >> 32n).toString();
  const objid = (unsigned & 0xffff_ffffn).toString();
  const [queue, tokens] = await Promise.all([
    session.query(LOCK_QUEUE, [classid, objid]),
    session.query(lastIssued(fenceSequence)),
  ]);
  const participant = (row: Record<string, unknown>): LockParticipant => ({
    id: `pid:${String(row.pid)}`,
    token: null,
    mode: row.mode === 'ShareLock' ? 'shared' : 'exclusive',
  });
  const holders = queue.filter((row) => row.granted === true).map(participant);
  const waiters = queue
    .filter((row) => row.granted !== true)
    .map((row) => {
      const waitedMs = row.wait_ms === null || row.wait_ms === undefined ? Number.NaN : Number(row.wait_ms);
      const entry = participant(row);
      return Number.isFinite(waitedMs) ? { ...entry, ageMs: Math.max(0, waitedMs) } : entry;
    });
  const issued = tokens[0]?.token;
  return {
    name,
    holders,
    waiters,
    waiterCount: waiters.length + localWaiters,
    // One sequence serves every name: the latest token of this name is not kept apart.
    lastToken: null,
    details: { key: key.toString(), localWaiters, lastIssued: typeof issued === 'string' ? issued : null },
  };
}
