import { monotonicNow } from '@lock/core';
import type { IKeyValue, IRangeRequest, ITxnRequest } from 'etcd3';
import type { LockContext } from './etcd-lock-backend.js';
import type { EtcdSession } from './etcd-session.js';
import { waitForChange } from './wait-for-change.js';
import { checkStillQueued, readTurn } from './wait-for-turn.js';
import { checkLeaseGone, type WatchedHolder, waitOutIfRevoked, watchedHolder } from './wait-out-revoked.js';

/**
 * A semaphore permit's wait: the key holds once fewer than `permits` keys are older. Holders release in any
 * order, so the first waiter (exactly `permits` keys ahead) cannot know which holder goes first: it alone
 * watches the name's whole range for deletions. Every later waiter watches the key just before it, for any
 * change: that waiter, once it holds, touches its key (`announceGrant`), which wakes the next one, who becomes
 * the first waiter. So a release or a grant wakes one waiter, and no permit stays idle while someone waits.
 * Resolves with the send time of the read that proved the grant.
 *
 * With `waitOutRevokedHolders`, a waiter granted because a holder's key vanished together with its lease waits
 * out that holder's TTL first (issue 15247, see `waitOutIfRevoked`), as a lock's waiter does.
 * @internal
 */
export async function waitForPermit(
  context: LockContext,
  session: EtcdSession,
  keyBuffer: Buffer,
  myRevision: bigint,
  permits: number,
  signal: AbortSignal,
): Promise<number> {
  const { backend } = context;
  const ahead: IRangeRequest = {
    key: context.prefix,
    range_end: context.prefixEnd,
    sort_target: 'Create',
    sort_order: 'Ascend',
    keys_only: true,
    max_create_revision: (myRevision - 1n).toString(),
  };
  const check: ITxnRequest = {
    compare: [],
    success: [{ request_range: ahead }, { request_range: { key: keyBuffer, keys_only: true } }],
    failure: [],
  };
  /** The holders seen at the last read (with `waitOutRevokedHolders`), by key. */
  let watched: Map<string, WatchedHolder> | undefined;
  for (;;) {
    const checkedAt = monotonicNow();
    const reply = await readTurn(context, session, check, signal);
    if (reply === undefined) continue;
    const keysAhead = reply.responses[0]?.response_range.kvs ?? [];
    checkStillQueued(context, session, reply.responses[1]?.response_range.kvs[0], myRevision);
    if (keysAhead.length < permits) {
      if (
        watched !== undefined &&
        (await waitOutRevokedHolder(context, session, watched, keysAhead, signal))
      ) {
        watched = undefined;
        continue;
      }
      announceGrant(context, keyBuffer, myRevision);
      return checkedAt;
    }
    if (backend.waitOutRevokedHolders) {
      const previous = watched;
      watched = new Map(
        keysAhead
          .slice(0, permits)
          .map((kv) => [kv.key.toString(), previous?.get(kv.key.toString()) ?? watchedHolder(context, kv)]),
      );
    }
    if (keysAhead.length === permits) {
      // The first waiter: any holder's release is ours.
      await waitForChange(
        context,
        session,
        { key: context.prefix, rangeEnd: context.prefixEnd },
        // Not `count_only`: etcd counts the whole range before it applies `max_create_revision`.
        () =>
          backend
            .call((options) => backend.client.kv.range(ahead, options))
            .then((found) => found.kvs.length < permits),
        signal,
      );
    } else {
      const predecessor = keysAhead[keysAhead.length - 1] as IKeyValue;
      await waitForChange(
        context,
        session,
        { key: predecessor.key, changes: true },
        () =>
          backend
            .call((options) => backend.client.kv.range({ key: predecessor.key, keys_only: true }, options))
            .then((found) => found.kvs[0]?.mod_revision !== predecessor.mod_revision),
        signal,
      );
    }
  }
}

/**
 * Holders seen before that are gone now: if one went with its lease, waits out its TTL and resolves `true`
 * (the caller reads again); `false` if each was deleted by its owner.
 */
async function waitOutRevokedHolder(
  context: LockContext,
  session: EtcdSession,
  watched: ReadonlyMap<string, WatchedHolder>,
  keysAhead: readonly IKeyValue[],
  signal: AbortSignal,
): Promise<boolean> {
  const present = new Set(keysAhead.map((kv) => kv.key.toString()));
  const vanished = [...watched].filter(([key]) => !present.has(key)).map(([, holder]) => holder);
  for (const holder of vanished) checkLeaseGone(context, holder);
  for (const holder of vanished) {
    if (await holder.leaseGone) return waitOutIfRevoked(context, session, holder, signal);
  }
  return false;
}

/**
 * Touches our key (same value, same lease; only if it is still ours) so that the waiter watching it learns
 * that we hold and becomes the first waiter. Off the grant's path: if it is lost, that waiter's fallback read
 * finds the grant within a second.
 */
function announceGrant(context: LockContext, keyBuffer: Buffer, myRevision: bigint): void {
  const { backend } = context;
  backend
    .call((options) =>
      backend.client.kv.txn(
        {
          compare: [
            { key: keyBuffer, target: 'Create', result: 'Equal', create_revision: myRevision.toString() },
          ],
          success: [{ request_put: { key: keyBuffer, ignore_value: true, ignore_lease: true } }],
          failure: [],
        },
        options,
      ),
    )
    .catch(() => undefined);
}
