import type { LockParticipant, LockStatus } from '@lock/core';
import { sortLockNodes } from './lock-node.js';
import { ZK } from './zookeeper-codes.js';
import { ZooKeeperError } from './zookeeper-error.js';
import type { ZooKeeperSession } from './zookeeper-session.js';

/**
 * A lock's queue as ZooKeeper sees it: core's {@link LockStatus}, each entry a node with its czxid (always
 * known: the token it holds or will hold), with ZooKeeper's own terms in `details`.
 */
export type ZooKeeperLockStatus = LockStatus<ZooKeeperStatusDetails, ZooKeeperQueueEntry> & {
  readonly details: ZooKeeperStatusDetails;
};

/** One node of a lock's queue: `id` is the node name (`_c_<guid>-lock-<sequence>`), `token` its czxid. */
export type ZooKeeperQueueEntry = LockParticipant & { readonly token: bigint };

/** What `status(name).details` holds for ZooKeeper. */
export type ZooKeeperStatusDetails = {
  /** The lock's parent node. */
  readonly path: string;
  /** The session (hex) owning each ephemeral node, by node name. */
  readonly sessions: Readonly<Record<string, string>>;
};

/**
 * Lists the queue under `path` and reads each node's stat: the first by sequence is the holder. A node gone
 * between the listing and its read is left out. ZooKeeper keeps no token once a node is gone, so `lastToken`
 * is `null`.
 * @internal
 */
export async function readStatus(
  session: ZooKeeperSession,
  name: string,
  path: string,
): Promise<ZooKeeperLockStatus> {
  let children: string[];
  try {
    children = await session.retrying(() => session.getChildren(path));
  } catch (error) {
    if (!(error instanceof ZooKeeperError && error.code === ZK.NONODE)) throw error;
    children = [];
  }
  const read = await Promise.all(
    sortLockNodes(children).map(async (node) => {
      const stat = await session.retrying(() => session.exists(`${path}/${node}`));
      return stat === null ? undefined : { node, token: BigInt(stat.czxid), sessionId: stat.ephemeralOwner };
    }),
  );
  const nodes = read.filter((entry) => entry !== undefined);
  const entries = nodes.map(({ node, token }) => ({ id: node, token }));
  const waiters = entries.slice(1);
  return {
    name,
    holders: entries.slice(0, 1),
    waiters,
    waiterCount: waiters.length,
    lastToken: null,
    details: { path, sessions: Object.fromEntries(nodes.map(({ node, sessionId }) => [node, sessionId])) },
  };
}
