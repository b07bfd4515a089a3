import { ZK } from './zookeeper-codes.js';
import { ZooKeeperError } from './zookeeper-error.js';
import type { ZooKeeperSession } from './zookeeper-session.js';

/**
 * Ensures a lock's parent node `path` exists: a container node (reaped by the server when empty) or, on
 * servers without containers, a persistent one. Its ancestors are persistent. Safe to run concurrently.
 * @internal
 */
export async function ensureParent(
  session: ZooKeeperSession,
  path: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const create = async (node: string, flags: number) => {
    let attempts = 0;
    const created = await session.retrying(async () => {
      attempts += 1;
      try {
        await session.create(node, flags);
        return true;
      } catch (error) {
        // After a connection loss, "exists" may be our own first create.
        if (error instanceof ZooKeeperError && error.code === ZK.NODEEXISTS) return attempts > 1;
        throw error;
      }
    }, signal);
    // Ours now: only this identity may queue under it or remove what is queued (when authenticating).
    if (created) await session.retrying(() => session.protect(node), signal);
  };
  const segments = path.slice(1).split('/');
  for (let depth = 1; depth <= segments.length; depth += 1) {
    const node = `/${segments.slice(0, depth).join('/')}`;
    if (depth < segments.length) {
      await create(node, ZK.PERSISTENT);
      continue;
    }
    if (session.containers) {
      try {
        await create(node, ZK.CONTAINER);
        return;
      } catch (error) {
        const unsupported =
          error instanceof ZooKeeperError &&
          (error.code === ZK.UNIMPLEMENTED || error.code === ZK.BADARGUMENTS);
        if (!unsupported) throw error;
        session.containers = false;
      }
    }
    await create(node, ZK.PERSISTENT);
  }
}

/**
 * Without container support: removes the parent `path` when its queue is empty; a concurrent acquirer
 * recreates it.
 * @internal
 */
export async function deleteParentIfEmpty(session: ZooKeeperSession, path: string): Promise<void> {
  try {
    await session.delete(path);
  } catch {
    // Not empty (someone queued meanwhile) or unreachable: the next release tries again.
  }
}
