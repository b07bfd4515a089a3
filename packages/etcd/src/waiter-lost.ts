import { LockLostError, ProviderClosedError } from '@lock/core';
import type { EtcdSession } from './etcd-session.js';

/** The rejection of a waiter whose session ended while it was queued: it was never granted. @internal */
export function waiterLost(lockName: string, session: EtcdSession, cause?: unknown): LockLostError {
  return new LockLostError(lockName, 'session-lost', {
    cause,
    detail: `the waiter's session lease ${session.leaseHex} ended while it was queued; it was never granted`,
  });
}

/** The reason a wait ends with when the provider closes: an error naming the lock (for `linkSignals`). @internal */
export function closedWhileWaiting(lockName: string): () => ProviderClosedError {
  return () => new ProviderClosedError('etcd', 'acquire', lockName);
}
