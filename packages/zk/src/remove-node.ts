import { noop } from '@lock/core';
import { deleteParentIfEmpty } from './ensure-parent.js';
import type { ZooKeeperSession } from './zookeeper-session.js';

/**
 * Removes a waiter's node `nodePath` under the parent `path` (timeout, abort, tryAcquire not first, error).
 * Disconnected, it does not hold the caller until the reconnect: the node is deleted once back, or goes with
 * the session.
 * @internal
 */
export async function removeNode(session: ZooKeeperSession, path: string, nodePath: string): Promise<void> {
  if (session.lost) return;
  const remove = async (): Promise<void> => {
    await session.retrying(() => session.delete(nodePath));
    if (!session.containers) await deleteParentIfEmpty(session, path);
  };
  if (session.state === 'connected') {
    await remove().catch(noop);
  } else {
    void session.whenConnected().then(remove).catch(noop);
  }
}
