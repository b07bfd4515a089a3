/**
 * Naming of the nodes in a lock's queue. Each node is `_c_<guid>-<tag>-<sequence>`: the per-attempt GUID is
 * Curator's "protection" (a create whose reply was lost is found again by it after reconnecting), the tag
 * says what the node asks for, and the ten-digit sequence suffix the server appends gives the queue order.
 * Every kind of node of one name shares one parent, so one listing shows the whole queue in arrival order.
 */
const LOCK_NODE =
  /^_c_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-(lock|read|sem([1-9]\d{0,6}))-(-?\d{10})$/;

/** Tag of an exclusive node: `lock()` and the write side of a read-write lock (they are one lock). */
export const EXCLUSIVE_TAG = 'lock';
/** Tag of a shared node: the read side of a read-write lock. */
export const SHARED_TAG = 'read';
/** Tag of a semaphore's node: `sem` and the permits, so one listing shows every holder's number. */
export function permitTag(permits: number): string {
  return `sem${permits}`;
}

/** What a queue node asks for: an exclusive or shared grant of a lock, or one permit of a semaphore. */
export type LockNodeKind = 'exclusive' | 'shared' | 'permit';

/** One node of a lock's queue, as its name says. */
export interface LockNode {
  /** The child name. */
  readonly name: string;
  readonly kind: LockNodeKind;
  /** The sequence suffix. */
  readonly sequence: number;
  /** For a semaphore's node: the permits its acquisition asked for. */
  readonly permits: number | undefined;
}

/** The name prefix of one acquisition attempt; the server appends the sequence. */
export function protectedPrefix(guid: string, tag: string = EXCLUSIVE_TAG): string {
  return `_c_${guid}-${tag}-`;
}

/** A child parsed as a queue node, or undefined for a child that is not one. */
export function parseLockNode(child: string): LockNode | undefined {
  const match = LOCK_NODE.exec(child);
  if (match === null) return undefined;
  const tag = match[2] as string;
  const kind: LockNodeKind = tag === EXCLUSIVE_TAG ? 'exclusive' : tag === SHARED_TAG ? 'shared' : 'permit';
  return {
    name: child,
    kind,
    sequence: Number(match[4]),
    permits: kind === 'permit' ? Number(match[3]) : undefined,
  };
}

/** The sequence number of a queue node, or undefined for a child that is not one. */
export function lockNodeSequence(child: string): number | undefined {
  return parseLockNode(child)?.sequence;
}

/**
 * The queue nodes among `children`, in queue order. The server returns children unordered; the order is the
 * sequence suffix alone (GUIDs differ per attempt, so sorting whole names would be wrong).
 */
export function queueOf(children: readonly string[]): LockNode[] {
  const nodes: LockNode[] = [];
  for (const child of children) {
    const node = parseLockNode(child);
    if (node !== undefined) nodes.push(node);
  }
  return nodes.sort((a, b) => a.sequence - b.sequence);
}

/** The names of the queue nodes among `children`, in queue order. */
export function sortLockNodes(children: readonly string[]): string[] {
  return queueOf(children).map((node) => node.name);
}
