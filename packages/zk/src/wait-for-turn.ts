import { type AcquireRequest, noop } from '@lock/core';
import { sortLockNodes } from './lock-node.js';
import { waitForChange } from './wait-for-change.js';
import { ZK } from './zookeeper-codes.js';
import { ZooKeeperError } from './zookeeper-error.js';
import type { ZooKeeperGrant } from './zookeeper-grant.js';
import type { ZooKeeperSession } from './zookeeper-session.js';

/**
 * The wait loop of one acquisition whose node `nodePath` sits under the lock's parent `path`: the owner is
 * the first node in sequence order; otherwise watch the node just before ours and look again. Resolves with
 * the grant, or `null` for a `tryAcquire` that is not first (the caller removes the node).
 * @internal
 */
export async function waitForTurn(
  session: ZooKeeperSession,
  path: string,
  nodePath: string,
  startedAt: number,
  request: AcquireRequest,
): Promise<ZooKeeperGrant | null> {
  const node = nodePath.slice(path.length + 1);
  // Sent together with the first listing: the token costs no extra round trip.
  const stat = session.retrying(() => session.exists(nodePath), request.signal);
  stat.catch(noop);
  let headGone = false;
  for (;;) {
    request.signal?.throwIfAborted();
    // Sequence numbers only grow: once the one node ahead of us is deleted, nobody can be ahead of us any
    // more, so the handoff needs no second listing (one round trip less per handoff).
    const position: QueuePosition = headGone
      ? { index: 0, predecessor: undefined }
      : await queuePosition(session, path, node, request.signal);
    const { index, predecessor } = position;
    if (index < 0) throw vanished(session, nodePath);
    if (index === 0) {
      const created = await stat;
      if (created === null) throw vanished(session, nodePath);
      return {
        token: BigInt(created.czxid),
        path: nodePath,
        session,
        ttlMs: session.sessionTimeoutMs ?? 0,
        startedAt,
      };
    }
    if (!request.wait) return null;
    // The server has answered: the lock is held, so the timeout now counts.
    request.queued();
    const gone = await waitForChange(session, `${path}/${predecessor}`, request.signal);
    headGone = gone && index === 1;
  }
}

/** Where an acquisition stands in its lock's queue. */
interface QueuePosition {
  readonly index: number;
  readonly predecessor: string | undefined;
}

/** Our index in the queue (children sorted by sequence; -1 when our node is gone) and the node before us. */
async function queuePosition(
  session: ZooKeeperSession,
  path: string,
  node: string,
  signal: AbortSignal | undefined,
): Promise<QueuePosition> {
  const children = sortLockNodes(await session.retrying(() => childrenOf(session, path), signal));
  const index = children.indexOf(node);
  return { index, predecessor: children[index - 1] };
}

async function childrenOf(session: ZooKeeperSession, path: string): Promise<string[]> {
  try {
    return await session.getChildren(path);
  } catch (error) {
    if (error instanceof ZooKeeperError && error.code === ZK.NONODE) return [];
    throw error;
  }
}

/** Our queued node is gone: deleted by another client, or with our session. */
function vanished(session: ZooKeeperSession, nodePath: string): Error {
  if (session.lost) return session.lostSignal.reason as Error;
  return new ZooKeeperError(
    'getChildren',
    nodePath,
    ZK.NONODE,
    'the queued lock node vanished (deleted by another client, or its session expired)',
  );
}
