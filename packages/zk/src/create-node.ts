import { ensureParent } from './ensure-parent.js';
import { lockNodeSequence, protectedPrefix } from './lock-node.js';
import { ZK } from './zookeeper-codes.js';
import { ZooKeeperError } from './zookeeper-error.js';
import type { ZooKeeperSession } from './zookeeper-session.js';

/** Creates of a missing parent retried before giving up (a parent reaped again and again). */
const MAX_PARENT_ATTEMPTS = 10;

/**
 * Creates one acquisition's ephemeral-sequential node under the lock's parent `path`, in protected mode (its
 * name carries `guid`, and `tag`: what it asks for), creating the parent when it is missing. When the reply is lost (connection loss) the
 * node may or may not exist: once reconnected, it is looked for by its GUID instead of creating a second one
 * that would sit in the queue forever as an orphan. Resolves with the node's full path.
 * @internal
 */
export async function createNode(
  session: ZooKeeperSession,
  path: string,
  guid: string,
  tag: string,
  signal: AbortSignal | undefined,
): Promise<string> {
  const prefix = protectedPrefix(guid, tag);
  let parentAttempts = 0;
  for (;;) {
    try {
      return await protectedNode(session, await session.create(`${path}/${prefix}`, ZK.EPHEMERAL_SEQUENTIAL));
    } catch (error) {
      if (!(error instanceof ZooKeeperError)) throw error;
      if (error.code === ZK.NONODE && parentAttempts < MAX_PARENT_ATTEMPTS) {
        // The parent is missing, or a container reaper removed it just now: (re)create it and retry.
        parentAttempts += 1;
        await ensureParent(session, path, signal);
        continue;
      }
      if (!error.connectionLoss) throw error;
    }
    try {
      await session.whenConnected(signal);
      const found = await session.retrying(() => findProtected(session, path, prefix), signal);
      if (found !== undefined) return await protectedNode(session, found);
    } catch (error) {
      // Given up while the create is in doubt: remove the node, if it exists, once reconnected.
      void removeProtectedLater(session, path, prefix);
      throw error;
    }
  }
}

/**
 * `node` once its ACL is this session's own (when the session authenticates): nobody else may then write its
 * data. When that fails the node is removed, so no unprotected node stays in the queue.
 */
async function protectedNode(session: ZooKeeperSession, node: string): Promise<string> {
  try {
    await session.retrying(() => session.protect(node));
    return node;
  } catch (error) {
    await session.retrying(() => session.delete(node)).catch(() => undefined);
    throw error;
  }
}

/** The node of the attempt named by `prefix`, if the server has it. */
async function findProtected(
  session: ZooKeeperSession,
  path: string,
  prefix: string,
): Promise<string | undefined> {
  let children: string[];
  try {
    children = await session.getChildren(path);
  } catch (error) {
    if (error instanceof ZooKeeperError && error.code === ZK.NONODE) return undefined;
    throw error;
  }
  const child = children.find(
    (candidate) => candidate.startsWith(prefix) && lockNodeSequence(candidate) !== undefined,
  );
  return child === undefined ? undefined : `${path}/${child}`;
}

async function removeProtectedLater(session: ZooKeeperSession, path: string, prefix: string): Promise<void> {
  try {
    await session.whenConnected();
    const found = await session.retrying(() => findProtected(session, path, prefix));
    if (found !== undefined) await session.retrying(() => session.delete(found));
  } catch {
    // The session ended: the ephemeral node, if any, went with it.
  }
}
