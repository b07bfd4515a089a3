import { type AcquireRequest, linkSignals, monotonicNow } from '@lock/core';
import { EtcdLeaseInvalidError, type ITxnRequest } from 'etcd3';
import { type EtcdGrant, etcdGrant } from './etcd-grant.js';
import type { LockContext } from './etcd-lock-backend.js';
import type { EtcdSession } from './etcd-session.js';
import type { KeyMode } from './key-mode.js';
import type { LocalSlot } from './local-slot.js';
import { removeKey } from './remove-key.js';
import { sessionTurn } from './turn.js';
import { closedWhileWaiting } from './waiter-lost.js';

/**
 * etcd's lock algorithm proper, run while holding the provider's local turn for the name: put our key under
 * the session lease (or find it from a resent request), and own the lock if nothing was created before it;
 * otherwise wait for our turn, or, for `tryAcquire`, take the key back out. From here on the turn is given
 * back by `removeKey` or kept by the grant.
 *
 * An enqueue that was sent twice (hedged, or retried by etcd3 after an attempt's deadline) or whose outcome
 * is unknown may still be applied later by a member that stopped answering, after our key is gone; the
 * session is then retired (see `EtcdSession.retire`), so such a late copy cannot leave a key behind.
 * @internal
 */
export async function contend(
  context: LockContext,
  session: EtcdSession,
  slot: LocalSlot,
  request: AcquireRequest,
  mode: KeyMode,
  retried = false,
): Promise<EtcdGrant | null> {
  const { backend } = context;
  const key = mode.key(context, session);
  const keyBuffer = Buffer.from(key);
  const turn = sessionTurn(slot, session);
  const sentAt = monotonicNow();
  let reply: Awaited<ReturnType<LockContext['backend']['client']['kv']['txn']>>;
  try {
    reply = await backend.call(
      (options) => backend.client.kv.txn(enqueueTxn(context, keyBuffer, session, mode), options),
      () => session.retire(),
    );
  } catch (error) {
    if (error instanceof EtcdLeaseInvalidError && !retried) {
      // The lease was revoked or expired before our keepalive noticed; the txn wrote nothing. End the session
      // (its other grants are lost too) and queue again under a new one.
      session.invalidate(error);
      turn.dropSession();
      let fresh: EtcdSession;
      try {
        fresh = await backend.session(context.name);
      } catch (sessionError) {
        slot.leave();
        throw sessionError;
      }
      return contend(context, fresh, slot, request, mode, true);
    }
    // Unknown outcome: the key may exist. It is ours alone (our lease id), so delete it unconditionally.
    session.retire();
    await removeKey(context, session, key, undefined, turn);
    throw error;
  }
  // Our key is in etcd: readers of this session queued behind this acquisition may put theirs.
  slot.admit();
  // Our put is the txn's only write, so its create revision is the txn's revision.
  const existing = reply.succeeded ? undefined : reply.responses[0]?.response_range.kvs[0];
  const myRevision = BigInt(existing?.create_revision ?? reply.header.revision);
  let holds: boolean;
  try {
    holds = mode.holds(
      context,
      myRevision,
      reply.responses.slice(1).map((response) => response.response_range.kvs),
    );
  } catch (refusal) {
    // The name is used another way (another number of permits, a lock on a semaphore's name).
    await removeKey(context, session, key, myRevision, turn);
    throw refusal;
  }
  if (holds) return etcdGrant(session, turn, key, myRevision, sentAt);
  if (!request.wait) {
    // tryAcquire never waits: take our key back out of the queue.
    await removeKey(context, session, key, myRevision, turn);
    return null;
  }
  // etcd answered that the lock is held: from now on the caller's timeout applies.
  request.queued();
  const wait = linkSignals(request.signal, backend.closeSignal, closedWhileWaiting(context.name));
  try {
    const checkedAt = await mode.wait(context, session, keyBuffer, myRevision, wait.signal);
    return etcdGrant(session, turn, key, myRevision, checkedAt);
  } catch (error) {
    await removeKey(context, session, key, myRevision, turn);
    throw error;
  } finally {
    wait.unlink();
  }
}

/**
 * One round trip: if our key does not exist, put it under the session lease; either way read our key and
 * what the mode needs to decide (for a lock: the current owner, the lowest create revision under the
 * prefix), so the uncontended path ends here. Safe to apply twice (a resent or hedged copy finds the key and
 * reads it).
 */
function enqueueTxn(
  context: LockContext,
  keyBuffer: Buffer,
  session: EtcdSession,
  mode: KeyMode,
): ITxnRequest {
  const reads = mode.reads(context).map((range) => ({ request_range: range }));
  return {
    compare: [{ key: keyBuffer, target: 'Create', result: 'Equal', create_revision: 0 }],
    success: [
      { request_put: { key: keyBuffer, value: mode.value, lease: session.leaseId.toString() } },
      ...reads,
    ],
    // The key exists: a resent request that was applied the first time. Reuse it, as Go's mutex does.
    failure: [{ request_range: { key: keyBuffer, keys_only: true } }, ...reads],
  };
}
