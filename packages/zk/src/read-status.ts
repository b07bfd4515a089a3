import type { LockParticipant, LockStatus } from '@lock/core';
import { type LockNode, queueOf } from './lock-node.js';
import type { ZooKeeperStat } from './zookeeper-client.js';
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
 * its read is left out. ZooKeeper keeps no token once a node is gone, so `lastToken` is `null`. Ages: a waiter's
 * from its node's ctime (when it joined the queue), a holder's from its node's mtime (its ctime unless a
 * semaphore's grant was announced on it by a data change), both stamped by the leader's wall clock and read
 * against this process's: see {@link ageSince}.
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
      return stat === null
        ? undefined
        : { node, token: BigInt(stat.czxid), sessionId: stat.ephemeralOwner, times: timesOf(stat) };
    }),
  );
  const nodes = read.filter((entry) => entry !== undefined);
  const permits = nodes[0]?.node.kind === 'permit' ? nodes[0].node.permits : undefined;
  const granted = grantedNodes(
    nodes.map((entry) => entry.node),
    permits,
  );
  const nowMs = Date.now();
  const holders: ZooKeeperQueueEntry[] = [];
  const waiters: ZooKeeperQueueEntry[] = [];
  nodes.forEach(({ node, token, times }, index) => {
    const holds = granted.has(index);
    const ageMs = ageSince(holds ? times.mtimeMs : times.ctimeMs, nowMs);
    (holds ? holders : waiters).push({ ...participant(node, token), ...(ageMs !== undefined && { ageMs }) });
  });
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

/** A node's ctime and mtime (ms on the leader's wall clock), where the client reports them. */
interface NodeTimes {
  readonly ctimeMs: number | undefined;
  readonly mtimeMs: number | undefined;
}

function timesOf(stat: ZooKeeperStat): NodeTimes {
  // The native client's stat carries them (as Dates); the package's own stat type names only what locking reads.
  const { ctime, mtime } = stat as ZooKeeperStat & { ctime?: unknown; mtime?: unknown };
  return { ctimeMs: millisecondsOf(ctime), mtimeMs: millisecondsOf(mtime) };
}

function millisecondsOf(time: unknown): number | undefined {
  const ms = time instanceof Date ? time.getTime() : typeof time === 'number' ? time : Number.NaN;
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/**
 * Milliseconds from a time the ZooKeeper leader stamped (its wall clock, when it committed the change) to this
 * process's wall clock now: the clocks' skew is in the figure, so it is clamped at 0 and meant for people, never
 * for a deadline. ZooKeeper offers no read of its own clock to subtract on the server side.
 */
function ageSince(stampedMs: number | undefined, nowMs: number): number | undefined {
  return stampedMs === undefined ? undefined : Math.max(0, nowMs - stampedMs);
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
