import { LockBackendError, monotonicNow, sleep } from '@lock/core';
import type { IRangeRequest, ITxnRequest } from 'etcd3';
import type { LockContext } from './etcd-lock-backend.js';
import type { EtcdSession } from './etcd-session.js';
import { isRetryableError } from './retryable-error.js';
import { waitForDelete } from './wait-for-delete.js';
import { checkLeaseGone, type WatchedHolder, waitOutIfRevoked, watchedHolder } from './wait-out-revoked.js';
import { waiterLost } from './waiter-lost.js';

/** Pause before a waiter reads again after a failed read. */
const CHECK_RETRY_MS = 100;

/**
 * Go's `waitDeletes` followed by its session check: until no key of the range `ahead` with a lower create
 * revision is left, watch the last one and wait for its deletion. The range is the name's whole prefix for a
 * lock or writer, its writers' keys for a reader (etcd's recipe RWMutex). After each wake-up one read answers both questions (is anything
 * still before us, does our own key still exist), so a handoff costs one round trip after the event.
 * Resolves with the send time of the read that proved ownership.
 *
 * With `waitOutRevokedHolders`, a waiter that finds nothing left before it after the key it watched vanished
 * together with its lease waits out that holder's TTL first (see `waitOutIfRevoked`).
 * @internal
 */
export async function waitForTurn(
  context: LockContext,
  session: EtcdSession,
  keyBuffer: Buffer,
  myRevision: bigint,
  ahead: { readonly key: Buffer; readonly end: Buffer },
  signal: AbortSignal,
): Promise<number> {
  const { backend } = context;
  const predecessorRange: IRangeRequest = {
    key: ahead.key,
    range_end: ahead.end,
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
  let watched: WatchedHolder | undefined;
  for (;;) {
    const checkedAt = monotonicNow();
    const reply = await readTurn(context, session, check, signal);
    if (reply === undefined) continue;
    const predecessor = reply.responses[0]?.response_range.kvs[0];
    checkStillQueued(context, session, reply.responses[1]?.response_range.kvs[0], myRevision);
    if (predecessor === undefined) {
      if (watched === undefined) return checkedAt;
      const waited = await waitOutIfRevoked(context, session, watched, signal);
      watched = undefined;
      // Nothing waited: the read above proved ownership. Otherwise look again before taking the lock.
      if (!waited) return checkedAt;
      continue;
    }
    watched = backend.waitOutRevokedHolders ? watchedHolder(context, predecessor) : undefined;
    await waitForDelete(context, session, predecessor.key, predecessor.create_revision, signal);
    // Beside the read that follows, so telling a release from a revocation adds no round trip.
    if (watched !== undefined) checkLeaseGone(context, watched);
  }
}

type TxnReply = Awaited<ReturnType<LockContext['backend']['client']['kv']['txn']>>;

/**
 * One waiter's read of its queue, `undefined` after a failed read that is worth trying again (after a pause).
 * Rejects when the wait must end: aborted, the session ended, or etcd refused the read for good.
 * @internal
 */
export async function readTurn(
  context: LockContext,
  session: EtcdSession,
  check: ITxnRequest,
  signal: AbortSignal,
): Promise<TxnReply | undefined> {
  const { backend, name } = context;
  if (signal.aborted) throw signal.reason;
  if (session.lost) throw waiterLost(name, session);
  try {
    return await backend.call((options) => backend.client.kv.txn(check, options));
  } catch (error) {
    // Our key lives under the session lease: once the session ended (by its own deadline while etcd is
    // unreachable, say) the key is gone or doomed, so this waiter can never be granted.
    if (session.lost) throw waiterLost(name, session, error);
    // Refused (permission denied, invalid argument, ...): the same read would be refused forever.
    if (!isRetryableError(error))
      throw new LockBackendError('etcd', 'acquire', { lockName: name, cause: error });
    // etcd unreachable or electing: keep waiting; the session's deadline, the caller's timeout and
    // signal bound this.
    await sleep(CHECK_RETRY_MS, signal);
    return undefined;
  }
}

/**
 * Like Go's mutex: our key must still exist. If our lease expired or was revoked while we were queued
 * (etcd #11456, #19597), it is gone and we must never believe we hold the lock.
 * @internal
 */
export function checkStillQueued(
  context: LockContext,
  session: EtcdSession,
  mine: { readonly create_revision: string } | undefined,
  myRevision: bigint,
): void {
  if (mine === undefined || BigInt(mine.create_revision) !== myRevision || session.lost) {
    throw waiterLost(context.name, session);
  }
}
