import type { LockParticipant, LockStatus } from '@lock/core';
import { type LockNode, queueOf } from './lock-node.js';
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

/**
 * One node of a lock's queue: `id` is the node name (`_c_<guid>-<lock|read|sem<permits>>-<sequence>`), `token`
 * its czxid, `mode` `exclusive` (a `lock()` or a writer) or `shared` (a reader); a semaphore's nodes have none.
 */
export type ZooKeeperQueueEntry = LockParticipant & { readonly token: bigint };

/** What `status(name).details` holds for ZooKeeper. */
export type ZooKeeperStatusDetails = {
  /** The lock's parent node. */
  readonly path: string;
  /** The session (hex) owning each ephemeral node, by node name. */
  readonly sessions: Readonly<Record<string, string>>;
};

/**
 * Lists the queue under `path` and reads each node's stat. The holders are the nodes the queue's own rules
 * grant: a lock's first node if it is exclusive, else every shared node before the first exclusive one; a
 * semaphore's first `permits` nodes (its `permits` is the oldest node's). A node gone between the listing and
 * its read is left out. ZooKeeper keeps no token once a node is gone, so `lastToken` is `null`.
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
    queueOf(children).map(async (node) => {
      const stat = await session.retrying(() => session.exists(`${path}/${node.name}`));
      return stat === null ? undefined : { node, token: BigInt(stat.czxid), sessionId: stat.ephemeralOwner };
    }),
  );
  const nodes = read.filter((entry) => entry !== undefined);
  const permits = nodes[0]?.node.kind === 'permit' ? nodes[0].node.permits : undefined;
  const granted = grantedNodes(
    nodes.map((entry) => entry.node),
    permits,
  );
  const entries = nodes.map(({ node, token }) => participant(node, token));
  const holders = entries.filter((_entry, index) => granted.has(index));
  const waiters = entries.filter((_entry, index) => !granted.has(index));
  return {
    name,
    holders,
    waiters,
    waiterCount: waiters.length,
    lastToken: null,
    ...(permits === undefined ? {} : { permits }),
    details: {
      path,
      sessions: Object.fromEntries(nodes.map(({ node, sessionId }) => [node.name, sessionId])),
    },
  };
}

/** Indexes of the granted nodes of a queue (a semaphore's when `permits` is given). */
function grantedNodes(queue: readonly LockNode[], permits: number | undefined): Set<number> {
  const granted = new Set<number>();
  if (permits !== undefined) {
    for (const [index, node] of queue.entries()) {
      if (granted.size < permits && node.permits === permits) granted.add(index);
    }
    return granted;
  }
  for (const [index, node] of queue.entries()) {
    if (node.kind === 'permit') continue;
    if (node.kind === 'exclusive') {
      if (granted.size === 0) granted.add(index);
      break;
    }
    granted.add(index);
  }
  return granted;
}

function participant(node: LockNode, token: bigint): ZooKeeperQueueEntry {
  if (node.kind === 'permit') return { id: node.name, token };
  return { id: node.name, token, mode: node.kind };
}
