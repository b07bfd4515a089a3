import { checkBelievedOverlaps, type OverlapReport } from './checkers/believed-overlaps.js';
import { checkLiveness, type LivenessReport } from './checkers/liveness.js';
import { checkLostUpdates, type LostUpdateReport } from './checkers/lost-updates.js';
import { type Operation, pairOperations } from './checkers/operations.js';
import { checkPermitHolders, type PermitHoldersReport } from './checkers/permit-holders.js';
import { checkStaleWrites, type StaleWriteReport } from './checkers/stale-writes.js';
import { checkTokenOrder, type TokenOrderReport } from './checkers/token-order.js';
import type { ResourceState } from './guarded-resource.js';
import type { HistoryEvent } from './history.js';

/** Inputs besides the history. */
export interface CheckHistoryOptions {
  /**
   * The guarded resource's final state. Needed for stale writes (its write log) and lost updates (its
   * final value); without it those checks report zeros.
   */
  resource?: ResourceState;
  /** Counter value before the run. Default 0. */
  initialValue?: number;
  /** Resource writes before the run started, to skip in `resource.writes`. Default 0. */
  writesBefore?: number;
  /** Fenced reads before the run started, to skip in `resource.reads`. Default 0. */
  readsBefore?: number;
  /** Leftovers the caller counted at the end, e.g. `{ keys: 0, znodes: 0, leases: 0 }`. */
  orphans?: Record<string, number>;
  /** Seed of the PRNG that chose faults and timings, for the verdict line. */
  seed?: number | bigint | string;
  /**
   * Whether believed overlaps count as violations. Default true. Lease-based locks under pause faults
   * overlap by design (a paused holder cannot know it lost its lease); there, pass false and rely on
   * stale-accepted and lost updates, which fencing must keep at zero.
   */
  overlapsAreViolations?: boolean;
  /**
   * For a semaphore's history: its permits. Adds the {@link checkPermitHolders} check (never more than
   * `permits` believed holders), counted as violations `permitExcess` where overlaps are.
   */
  permits?: number;
}

/** How the invocations of one kind of operation ended; `info` includes those that never completed. */
export interface OutcomeCounts {
  invoked: number;
  ok: number;
  fail: number;
  info: number;
}

/** Everything the checkers found; see {@link formatReport} for the wording. */
export interface SafetyReport {
  seed: string;
  /** Client operations (invocations and bare completions), faults excluded. */
  operations: number;
  faults: number;
  acquires: LivenessReport;
  /** Fenced reads: `fail` is a read the fence refused. */
  reads: OutcomeCounts;
  /** Writes: `fail` is a write the fence rejected. */
  writes: OutcomeCounts;
  overlaps: OverlapReport;
  stale: StaleWriteReport;
  lostUpdates: LostUpdateReport;
  tokens: TokenOrderReport;
  /** With `permits`: how many held permits at once. */
  permits?: PermitHoldersReport;
  orphans: Record<string, number>;
  /** Violations per kind; only the kinds that count. */
  violationsByKind: Record<string, number>;
  /** Sum of {@link violationsByKind}. */
  violations: number;
}

/**
 * Runs every checker over one history. Pure: the same history and options give the same report, so a
 * saved history can be checked again later.
 */
export function checkHistory(
  history: readonly HistoryEvent[],
  options: CheckHistoryOptions = {},
): SafetyReport {
  const operations = pairOperations(history);
  const clientOperations = operations.filter((operation) => operation.f !== 'fault');
  const faults = operations.length - clientOperations.length;
  const reads = outcomes(clientOperations, 'read');
  const writes = outcomes(clientOperations, 'write');

  const resourceWrites = options.resource?.writes.slice(options.writesBefore ?? 0) ?? [];
  const resourceReads = options.resource?.reads.slice(options.readsBefore ?? 0) ?? [];
  const overlaps = checkBelievedOverlaps(history);
  const stale = checkStaleWrites(resourceWrites, resourceReads);
  const lostUpdates = checkLostUpdates(
    history,
    options.resource?.value ?? (options.initialValue ?? 0) + writes.ok,
    options.initialValue ?? 0,
  );
  const tokens = checkTokenOrder(history);
  const permits = options.permits === undefined ? undefined : checkPermitHolders(history, options.permits);
  const orphans = { ...options.orphans };

  const violationsByKind: Record<string, number> = {
    staleAccepted: stale.staleAccepted,
    lostUpdates: lostUpdates.lost,
    tokenRegressions: tokens.regressions,
    tokenDuplicates: tokens.duplicates,
  };
  if (options.overlapsAreViolations ?? true) {
    violationsByKind.believedOverlaps = overlaps.count;
    if (permits !== undefined) violationsByKind.permitExcess = permits.excessGrants;
  }
  for (const [kind, count] of Object.entries(orphans)) violationsByKind[`orphan ${kind}`] = count;
  const violations = Object.values(violationsByKind).reduce((sum, count) => sum + count, 0);

  return {
    seed: options.seed === undefined ? 'unset' : String(options.seed),
    operations: clientOperations.length,
    faults,
    acquires: checkLiveness(history),
    reads,
    writes,
    overlaps,
    stale,
    lostUpdates,
    tokens,
    ...(permits === undefined ? {} : { permits }),
    orphans,
    violationsByKind,
    violations,
  };
}

function outcomes(operations: readonly Operation[], f: 'read' | 'write'): OutcomeCounts {
  const counts: OutcomeCounts = { invoked: 0, ok: 0, fail: 0, info: 0 };
  for (const operation of operations) {
    if (operation.f !== f || operation.invoke === undefined) continue;
    counts.invoked += 1;
    const type = operation.complete?.type;
    if (type === 'ok') counts.ok += 1;
    else if (type === 'fail') counts.fail += 1;
    else counts.info += 1;
  }
  return counts;
}
