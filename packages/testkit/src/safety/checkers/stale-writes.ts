import type { ResourceOperation } from '../guarded-resource.js';

/** What {@link checkStaleWrites} found. */
export interface StaleWriteReport {
  /**
   * Operations (writes, and the fenced reads passed in) accepted with a token below one accepted before
   * them. Must be 0 when fenced.
   */
  staleAccepted: number;
  /** How many of {@link staleAccepted} were reads. */
  staleReads: number;
  /** Writes the resource rejected (the fence at work; not a violation). */
  rejected: number;
  accepted: number;
  /** Fenced reads the resource refused (the fence at work; not a violation). */
  readsRejected: number;
  readsAccepted: number;
}

/**
 * Stale accepted: walks the resource's own log in arrival order and counts accepted operations whose
 * token is below the highest token accepted before them. Uses the resource's order, not the clients'
 * clocks, because acceptance is decided there.
 *
 * With the fenced reads passed in, this is the rule a read-and-write fence keeps: a write accepted after
 * a newer holder's read is stale even if no newer write came first, because that holder's coming write
 * will erase it (the lost update a write fence alone lets through). A shared read (`mode: 'shared'`) is
 * stale only below the highest exclusive token accepted before it: readers holding together are not ordered.
 */
export function checkStaleWrites(
  writes: readonly ResourceOperation[],
  reads: readonly ResourceOperation[] = [],
): StaleWriteReport {
  const log = [
    ...writes.map((operation) => ({ operation, read: false })),
    ...reads.map((operation) => ({ operation, read: true })),
  ];
  // One process stamps both logs, so ties do not happen in practice; the sort is stable anyway.
  log.sort((a, b) => (a.operation.t < b.operation.t ? -1 : a.operation.t > b.operation.t ? 1 : 0));
  const report: StaleWriteReport = {
    staleAccepted: 0,
    staleReads: 0,
    rejected: 0,
    accepted: 0,
    readsRejected: 0,
    readsAccepted: 0,
  };
  let maxAccepted: bigint | undefined;
  let maxExclusive: bigint | undefined;
  for (const { operation, read } of log) {
    const shared = operation.mode === 'shared';
    if (!operation.accepted) {
      if (read) report.readsRejected += 1;
      else report.rejected += 1;
      continue;
    }
    if (read) report.readsAccepted += 1;
    else report.accepted += 1;
    const bound = shared ? maxExclusive : maxAccepted;
    if (bound !== undefined && operation.token < bound) {
      report.staleAccepted += 1;
      if (read) report.staleReads += 1;
    }
    if (maxAccepted === undefined || operation.token > maxAccepted) maxAccepted = operation.token;
    if (!shared && (maxExclusive === undefined || operation.token > maxExclusive))
      maxExclusive = operation.token;
  }
  return report;
}
