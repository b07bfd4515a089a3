import type { HistoryEvent } from '../history.js';
import { nsToMs } from './operations.js';

/** What {@link checkPermitHolders} found. */
export interface PermitHoldersReport {
  /** The semaphore's permits: the most holders allowed at once. */
  permits: number;
  /** Most clients that believed they held a permit at once. */
  maxHolders: number;
  /** Grants that began while `permits` clients already believed they held one. Must be 0. */
  excessGrants: number;
  /** Time during which more than `permits` clients believed they held one. */
  excessMs: number;
}

/**
 * Never more than `permits` permit holders: each client believes it holds a permit from `ok(acquire)` until
 * it invokes `release` (or its last event), and a sweep over those intervals counts the holders at every
 * instant. Like believed overlaps, a paused holder whose lease expired can exceed the limit under a lease
 * without a fault in the semaphore; fencing cannot help there (permit holders share the resource).
 */
export function checkPermitHolders(history: readonly HistoryEvent[], permits: number): PermitHoldersReport {
  const edges: Array<{ t: bigint; delta: number }> = [];
  const open = new Map<number | string, bigint>();
  const lastSeen = new Map<number | string, bigint>();
  for (const event of history) {
    if (event.f === 'fault') continue;
    lastSeen.set(event.proc, event.t);
    if (event.f === 'acquire' && event.type === 'ok') open.set(event.proc, event.t);
    if (event.f === 'release' && event.type === 'invoke') {
      const start = open.get(event.proc);
      if (start !== undefined) edges.push({ t: start, delta: 1 }, { t: event.t, delta: -1 });
      open.delete(event.proc);
    }
  }
  for (const [proc, start] of open)
    edges.push({ t: start, delta: 1 }, { t: lastSeen.get(proc) ?? start, delta: -1 });
  // Ends before starts at the same instant: a permit handed from one holder to the next is not an excess.
  edges.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.delta - b.delta));
  const report: PermitHoldersReport = { permits, maxHolders: 0, excessGrants: 0, excessMs: 0 };
  let depth = 0;
  let excessNs = 0n;
  let since = 0n;
  for (const edge of edges) {
    if (depth > permits) excessNs += edge.t - since;
    if (edge.delta > 0 && depth >= permits) report.excessGrants += 1;
    depth += edge.delta;
    report.maxHolders = Math.max(report.maxHolders, depth);
    since = edge.t;
  }
  report.excessMs = nsToMs(excessNs);
  return report;
}
