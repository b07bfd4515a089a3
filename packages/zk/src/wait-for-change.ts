import { ZK } from './zookeeper-codes.js';
import { ZooKeeperError } from './zookeeper-error.js';
import type { ZooKeeperSession } from './zookeeper-session.js';

/**
 * Resolves when the node `predecessor` changes or is gone (`true` when it is known to be deleted), or after a
 * reconnection (so a change missed while disconnected is seen); rejects when `signal` aborts or the session
 * is lost. One one-shot data watch on the predecessor only: one release wakes one waiter. With
 * `changedAlready`, a node whose data has changed since it was created counts as a change at once (a
 * semaphore's grant touches its node, maybe before this watch was set).
 * @internal
 */
export function waitForChange(
  session: ZooKeeperSession,
  predecessor: string,
  signal: AbortSignal | undefined,
  changedAlready = false,
): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    let settled = false;
    const finish = (error: unknown, deleted = false): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      offLost();
      offReconnect();
      if (error === undefined) resolve(deleted);
      else reject(error);
    };
    const onAbort = (): void => finish(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const offLost = session.onLost((cause) => finish(cause));
    const offReconnect = session.onReconnect(() => finish(undefined));
    session
      .watchData(predecessor, (type) => {
        if (type !== ZK.SESSION_EVENT) finish(undefined, type === ZK.DELETED_EVENT);
      })
      .then(
        (stat) => {
          if (stat === null) finish(undefined, true);
          else if (changedAlready && stat.version > 0) finish(undefined);
        },
        (error: unknown) => {
          // A connection loss is followed by a reconnect (which re-checks) or by the session's loss.
          if (!(error instanceof ZooKeeperError && error.connectionLoss)) finish(error);
        },
      );
  });
}
