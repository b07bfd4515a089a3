/**
 * Naming of the nodes in a lock's queue. Each node is `_c_<guid>-lock-<sequence>`: the per-attempt GUID is
 * Curator's "protection" (a create whose reply was lost is found again by it after reconnecting), and the
 * ten-digit sequence suffix the server appends gives the queue order.
 */
const LOCK_NODE = /^_c_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-lock-(-?\d{10})$/;

/** The name prefix of one acquisition attempt; the server appends the sequence. */
export function protectedPrefix(guid: string): string {
  return `_c_${guid}-lock-`;
}

/** The sequence number of a lock node, or undefined for a child that is not a lock node. */
export function lockNodeSequence(child: string): number | undefined {
  const match = LOCK_NODE.exec(child);
  return match === null ? undefined : Number(match[2]);
}

/**
 * The lock nodes among `children`, in queue order. The server returns children unordered; the order is the
 * sequence suffix alone (GUIDs differ per attempt, so sorting whole names would be wrong).
 */
export function sortLockNodes(children: readonly string[]): string[] {
  const nodes: { child: string; sequence: number }[] = [];
  for (const child of children) {
    const sequence = lockNodeSequence(child);
    if (sequence !== undefined) nodes.push({ child, sequence });
  }
  nodes.sort((a, b) => a.sequence - b.sequence);
  return nodes.map((node) => node.child);
}
