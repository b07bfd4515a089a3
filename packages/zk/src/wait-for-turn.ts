import { type AcquireRequest, noop } from '@lock/core';
import { type LockNode, queueOf } from './lock-node.js';
import { type QueueMode, type Turn, WATCH_QUEUE } from './queue-mode.js';
import { waitForChange } from './wait-for-change.js';
import { watchQueue } from './watch-queue.js';
import { ZK } from './zookeeper-codes.js';
import { ZooKeeperError } from './zookeeper-error.js';
import type { ZooKeeperGrant } from './zookeeper-grant.js';
import type { ZooKeeperSession } from './zookeeper-session.js';

/** What a semaphore's grant writes into its own node to wake the waiter watching it. */
const GRANTED_DATA = 'granted';

/**
 * The wait loop of one acquisition whose node `nodePath` sits under the lock's parent `path`: read the queue,
 * ask the mode whether the node is granted, and otherwise set the one watch the mode names and look again
 * when it fires. Resolves with the grant, or `null` for a `tryAcquire` that is not granted (the caller
 * removes the node); rejects when the mode refuses the queue (the caller removes the node too).
 * @internal
 */
export async function waitForTurn(
  session: ZooKeeperSession,
  path: string,
  nodePath: string,
  startedAt: number,
  request: AcquireRequest,
  mode: QueueMode,
  lockName: string,
): Promise<ZooKeeperGrant | null> {
  const node = nodePath.slice(path.length + 1);
  // Sent together with the first listing: the token costs no extra round trip.
  const stat = session.retrying(() => session.exists(nodePath), request.signal);
  stat.catch(noop);
  let firstLook = true;
  const position = (children: readonly string[]): QueuePosition => {
    const nodes = mode.relevant(queueOf(children), node, lockName, firstLook);
    firstLook = false;
    const index = nodes.findIndex((each) => each.name === node);
    if (index < 0) throw vanished(session, nodePath);
    return { nodes, index, turn: mode.turn(nodes, index) };
  };
  let listing: readonly string[] | undefined = await list(session, path, request.signal);
  for (;;) {
    request.signal?.throwIfAborted();
    // `undefined`: granted by the deletion of the one node that held us back (sequence numbers only grow,
    // so nobody can be ahead of us any more): the handoff needs no second listing.
    const current: QueuePosition | undefined = listing === undefined ? undefined : position(listing);
    const turn: Turn = current?.turn ?? { granted: true };
    if (turn.granted) {
      const created = await stat;
      if (created === null) throw vanished(session, nodePath);
      if (mode.announcesGrant && (current === undefined || current.index < current.nodes.length - 1)) {
        announce(session, nodePath);
      }
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
    if (turn.watch === WATCH_QUEUE) {
      const watched = await watchQueue(session, path, request.signal);
      // The watched listing is newer than the one we decided on: if it already grants us, go on with it.
      if (position(watched.children).turn.granted) {
        watched.cancel();
        listing = watched.children;
        continue;
      }
      await watched.changed;
      listing = await list(session, path, request.signal);
      continue;
    }
    const gone = await waitForChange(session, `${path}/${turn.watch}`, request.signal, mode.announcesGrant);
    listing = gone && turn.grantedWhenGone ? undefined : await list(session, path, request.signal);
  }
}

/** Where our node stands among the nodes its mode counts, and what it does next. */
interface QueuePosition {
  readonly nodes: readonly LockNode[];
  readonly index: number;
  readonly turn: Turn;
}

/**
 * Touches our node so the waiter watching it wakes and becomes the first waiter. In the background: if it
 * fails the session is gone, and our node with it, which wakes that waiter just the same.
 */
function announce(session: ZooKeeperSession, nodePath: string): void {
  session.retrying(() => session.setData(nodePath, GRANTED_DATA)).catch(noop);
}

async function list(
  session: ZooKeeperSession,
  path: string,
  signal: AbortSignal | undefined,
): Promise<string[]> {
  return session.retrying(async () => {
    try {
      return await session.getChildren(path);
    } catch (error) {
      if (error instanceof ZooKeeperError && error.code === ZK.NONODE) return [];
      throw error;
    }
  }, signal);
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
