import { InvalidArgumentError, PermitsMismatchError } from '@lock/core';
import { EXCLUSIVE_TAG, type LockNode, permitTag, SHARED_TAG } from './lock-node.js';

/**
 * How one kind of acquisition reads its lock's queue (the nodes of every kind under the lock's parent, in
 * sequence order). Arrival order is the sequence order, across modes: nobody is ever granted ahead of an
 * earlier node that excludes it. Each waiter sets exactly one watch, on the one thing whose change can grant
 * it, so a release wakes only those it grants (Curator's rule against the herd).
 * @internal
 */
export interface QueueMode {
  /** The tag in the node's name (`lock`, `read`, `sem<permits>`). */
  readonly tag: string;
  /**
   * The nodes this acquisition counts, in queue order. On the first look (`firstLook`) it throws (the
   * acquisition removes its node) when the oldest node shows the name in use by another primitive or with
   * other permits: the oldest node's use is the name's. Later looks only count: a node that passed its first
   * look agrees with every older node that did, and the others are refusing themselves. `ours` is our
   * node's name.
   */
  relevant(
    queue: readonly LockNode[],
    ours: string,
    lockName: string,
    firstLook: boolean,
  ): readonly LockNode[];
  /** Whether the node at `index` of the relevant nodes is granted, and if not, what it must watch. */
  turn(nodes: readonly LockNode[], index: number): Turn;
  /**
   * True when a grant must touch its own node (a data change) so that a successor watching it learns that
   * it now holds (semaphores: see {@link permitMode}).
   */
  readonly announcesGrant: boolean;
}

/** What a queued node does next. */
export type Turn =
  | { readonly granted: true }
  | {
      readonly granted: false;
      /** Watch this node (deleted or changed: look again). */
      readonly watch: string;
      /** True when the watched node's deletion alone grants us (no second listing needed). */
      readonly grantedWhenGone: boolean;
    }
  | { readonly granted: false; readonly watch: typeof WATCH_QUEUE };

/** A turn that watches the parent's children (any node joining or leaving), not one node. */
export const WATCH_QUEUE = Symbol('watch the queue');

const GRANTED: Turn = Object.freeze({ granted: true });

/**
 * `lock()` and the write side of a read-write lock: granted when first in the whole queue; watches the node
 * just before it, whatever its mode. Curator's InterProcessMutex (and its read-write lock's writer).
 */
export const exclusiveMode: QueueMode = {
  tag: EXCLUSIVE_TAG,
  relevant: lockNodes,
  turn: (nodes, index) =>
    index === 0
      ? GRANTED
      : { granted: false, watch: (nodes[index - 1] as LockNode).name, grantedWhenGone: index === 1 },
  announcesGrant: false,
};

/**
 * The read side of a read-write lock: granted when no exclusive node precedes it; watches the nearest
 * exclusive node before it, so readers never wake for one another, and a writer's release wakes exactly the
 * readers it was holding back. Readers that arrive after a waiting writer queue behind it.
 */
export const sharedMode: QueueMode = {
  tag: SHARED_TAG,
  relevant: lockNodes,
  turn(nodes, index) {
    let nearest = -1;
    let writersAhead = 0;
    for (let position = 0; position < index; position += 1) {
      if ((nodes[position] as LockNode).kind === 'exclusive') {
        nearest = position;
        writersAhead += 1;
      }
    }
    if (nearest < 0) return GRANTED;
    return { granted: false, watch: (nodes[nearest] as LockNode).name, grantedWhenGone: writersAhead === 1 };
  },
  announcesGrant: false,
};

/**
 * One permit of a semaphore with `permits` permits: granted when among the first `permits` nodes. Holders
 * release in any order, so the first waiter cannot know which holder will go first: it alone watches the
 * parent's children (one child watch). Every later waiter watches the node just before it, which touches its
 * own node once it holds; that wakes the next one, which becomes the first waiter. So each release or grant
 * wakes one waiter, and a permit is never idle while someone waits.
 */
export function permitMode(permits: number): QueueMode {
  return {
    tag: permitTag(permits),
    relevant(queue, ours, lockName) {
      const first = queue[0];
      if (first === undefined) return queue;
      if (first.kind !== 'permit') throw inUseAs(lockName, 'a lock or read-write lock', 'semaphore');
      // The oldest node's number is the name's: a later one that disagrees is refused (and removes itself).
      if (first.permits !== permits)
        throw new PermitsMismatchError(lockName, permits, first.permits as number);
      return queue.filter((node) => node.permits === permits || node.name === ours);
    },
    turn(nodes, index) {
      if (index < permits) return GRANTED;
      if (index === permits) return { granted: false, watch: WATCH_QUEUE };
      return { granted: false, watch: (nodes[index - 1] as LockNode).name, grantedWhenGone: false };
    },
    announcesGrant: true,
  };
}

/** The exclusive and shared nodes of a lock's queue; refused when the name is in use as a semaphore. */
function lockNodes(
  queue: readonly LockNode[],
  _ours: string,
  lockName: string,
  firstLook: boolean,
): readonly LockNode[] {
  if (firstLook && queue[0]?.kind === 'permit') throw inUseAs(lockName, 'a semaphore', 'lock');
  // Any other semaphore node is an acquisition that is refusing itself: not part of this lock.
  return queue.filter((node) => node.kind !== 'permit');
}

function inUseAs(lockName: string, user: string, asked: string): InvalidArgumentError {
  return new InvalidArgumentError(
    'name',
    lockName,
    `a name that is not in use by ${user} (one name is either a semaphore or a lock; the later ${asked} is refused)`,
    lockName,
  );
}
