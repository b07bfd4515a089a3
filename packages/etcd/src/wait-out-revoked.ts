import { defaultDriftMs, sleep } from '@lock/core';
import type { LockContext } from './etcd-lock-backend.js';
import type { EtcdSession } from './etcd-session.js';

/** A key a waiter watched, with what it needs to tell a release from a revoked lease. @internal */
export interface WatchedHolder {
  /** The lease that carried the key (decimal), `'0'` for a key put without a lease. */
  readonly leaseId: string;
  /** The lease's granted TTL in ms, read while the key existed; `undefined` when it could not be read. */
  readonly grantedTtlMs: Promise<number | undefined>;
  /** Once the key is gone: whether its lease is gone too (started at once, beside the waiter's next read). */
  leaseGone: Promise<boolean> | undefined;
}

/**
 * Starts watching out for `kv`'s lease: reads its granted TTL now, while the key still exists (a revoked
 * lease reports none). Costs one request per watched key, off the handoff path.
 * @internal
 */
export function watchedHolder({ backend }: LockContext, kv: { readonly lease: string }): WatchedHolder {
  const leaseId = kv.lease;
  const grantedTtlMs =
    leaseId === '0'
      ? Promise.resolve(undefined)
      : backend
          .call((options) => backend.client.leaseClient.leaseTimeToLive({ ID: leaseId }, options))
          .then(
            (reply) => (Number(reply.TTL) > 0 ? Number(reply.grantedTTL) * 1000 : undefined),
            () => undefined,
          );
  return { leaseId, grantedTtlMs, leaseGone: undefined };
}

/**
 * The watched key is gone: asks whether its lease went with it. A lease that is gone (or that cannot be
 * checked: when in doubt, assume the worst) means the key was removed by a revocation or an expiry, not by
 * its owner's delete.
 * @internal
 */
export function checkLeaseGone({ backend }: LockContext, watched: WatchedHolder): void {
  if (watched.leaseId === '0') {
    watched.leaseGone = Promise.resolve(false);
    return;
  }
  watched.leaseGone = backend
    .call((options) => backend.client.leaseClient.leaseTimeToLive({ ID: watched.leaseId }, options))
    .then(
      (reply) => Number(reply.TTL) <= 0,
      () => true,
    );
}

/**
 * The mitigation of etcd issue 15247 (a leader resuming from a pause revokes leases that are alive): a key
 * removed with its lease may belong to a holder that renewed just before and still believes it holds the
 * lock, until its own next keepalive fails or, cut off, until its safe deadline (its last confirmed
 * keepalive, sent before the revocation, plus its TTL). So before taking the lock the waiter waits that
 * holder's TTL (the longer of its granted TTL and our own) plus the drift margin, counted from now, after the
 * deletion was seen. Resolves `true` if it waited (the caller must look again), `false` if the key was
 * deleted by its owner. Ends early when `signal` aborts or the session ends.
 * @internal
 */
export async function waitOutIfRevoked(
  context: LockContext,
  session: EtcdSession,
  watched: WatchedHolder,
  signal: AbortSignal,
): Promise<boolean> {
  if (watched.leaseGone === undefined) checkLeaseGone(context, watched);
  if (!(await watched.leaseGone)) return false;
  const holderTtlMs = Math.max((await watched.grantedTtlMs) ?? 0, session.ttlMs);
  context.backend.stats.revokedHolderWaits += 1;
  const ended = new AbortController();
  const end = () => ended.abort();
  signal.addEventListener('abort', end, { once: true });
  const stopSession = session.onLost(end);
  try {
    await sleep(holderTtlMs + defaultDriftMs(holderTtlMs), ended.signal);
  } finally {
    signal.removeEventListener('abort', end);
    stopSession();
  }
  return true;
}
