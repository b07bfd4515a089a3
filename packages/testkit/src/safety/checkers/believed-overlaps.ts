import type { HistoryEvent } from '../history.js';
import { nsToMs } from './operations.js';

/** What {@link checkBelievedOverlaps} found. */
export interface OverlapReport {
  /** Pairs of holders whose believed-held intervals intersect, at least one of them exclusive. */
  count: number;
  /** Time during which an exclusive holder and another client believed they held the lock. */
  totalMs: number;
  /** The longest single pairwise intersection. */
  maxMs: number;
}

/**
 * Believed overlap: each client believes it holds the lock from `ok(acquire)` until it invokes
 * `release` (or, if it never does, its last event). Any two such intervals that intersect are two
 * clients acting as owner at once, unless both are `shared` grants (readers, permits: see
 * `checkPermitHolders` for their limit); a writer beside any other holder is an overlap. Under a lease this can be legitimate for a paused holder that does
 * not yet know it lost the lease; fencing is what keeps the resource safe then.
 */
export function checkBelievedOverlaps(history: readonly HistoryEvent[]): OverlapReport {
  const intervals: Array<{ start: bigint; end: bigint; shared: boolean }> = [];
  const open = new Map<number | string, { start: bigint; shared: boolean }>();
  const lastSeen = new Map<number | string, bigint>();
  for (const event of history) {
    if (event.f === 'fault') continue;
    lastSeen.set(event.proc, event.t);
    if (event.f === 'acquire' && event.type === 'ok')
      open.set(event.proc, { start: event.t, shared: event.mode === 'shared' });
    if (event.f === 'release' && event.type === 'invoke') {
      const held = open.get(event.proc);
      if (held !== undefined) intervals.push({ ...held, end: event.t });
      open.delete(event.proc);
    }
  }
  for (const [proc, held] of open) intervals.push({ ...held, end: lastSeen.get(proc) ?? held.start });
  intervals.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));

  let count = 0;
  let maxNs = 0n;
  for (let i = 0; i < intervals.length; i += 1) {
    const a = intervals[i]!;
    for (let j = i + 1; j < intervals.length && intervals[j]!.start < a.end; j += 1) {
      const b = intervals[j]!;
      if (a.shared && b.shared) continue;
      const overlap = minBigInt(a.end, b.end) - b.start;
      if (overlap > 0n) {
        count += 1;
        if (overlap > maxNs) maxNs = overlap;
      }
    }
  }

  // Time covered by an exclusive holder beside another holder: sweep the interval edges.
  const edges = intervals.flatMap(({ start, end, shared }) => [
    { t: start, delta: 1, exclusive: shared ? 0 : 1 },
    { t: end, delta: -1, exclusive: shared ? 0 : -1 },
  ]);
  // Ends before starts at the same instant: touching intervals are not overlapping.
  edges.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.delta - b.delta));
  let depth = 0;
  let exclusiveDepth = 0;
  let totalNs = 0n;
  let since = 0n;
  for (const edge of edges) {
    if (depth >= 2 && exclusiveDepth >= 1) totalNs += edge.t - since;
    depth += edge.delta;
    exclusiveDepth += edge.exclusive;
    since = edge.t;
  }
  return { count, totalMs: nsToMs(totalNs), maxMs: nsToMs(maxNs) };
}

/** Math.min does not take bigints. */
function minBigInt(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
