import { checkBelievedOverlaps, type OverlapReport } from './checkers/believed-overlaps.js';
import { checkLiveness, type LivenessReport } from './checkers/liveness.js';
import { checkLostUpdates, type LostUpdateReport } from './checkers/lost-updates.js';
import { pairOperations } from './checkers/operations.js';
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
}

/** Everything the checkers found; see {@link formatReport} for the wording. */
export interface SafetyReport {
  seed: string;
  /** Client operations (invocations and bare completions), faults excluded. */
  operations: number;
  faults: number;
  acquires: LivenessReport;
  writes: { invoked: number; ok: number; fail: number; info: number };
  overlaps: OverlapReport;
  stale: StaleWriteReport;
  lostUpdates: LostUpdateReport;
  tokens: TokenOrderReport;
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
  const writeOperations = clientOperations.filter((operation) => operation.f === 'write' && operation.invoke);
  const writes = { invoked: writeOperations.length, ok: 0, fail: 0, info: 0 };
  for (const operation of writeOperations) {
    const type = operation.complete?.type;
    if (type === 'ok') writes.ok += 1;
    else if (type === 'fail') writes.fail += 1;
    else writes.info += 1;
  }

  const resourceWrites = options.resource?.writes.slice(options.writesBefore ?? 0) ?? [];
  const overlaps = checkBelievedOverlaps(history);
  const stale = checkStaleWrites(resourceWrites);
  const lostUpdates = checkLostUpdates(
    history,
    options.resource?.value ?? (options.initialValue ?? 0) + writes.ok,
    options.initialValue ?? 0,
  );
  const tokens = checkTokenOrder(history);
  const orphans = { ...options.orphans };

  const violationsByKind: Record<string, number> = {
    staleAccepted: stale.staleAccepted,
    lostUpdates: lostUpdates.lost,
    tokenRegressions: tokens.regressions,
    tokenDuplicates: tokens.duplicates,
  };
  if (options.overlapsAreViolations ?? true) violationsByKind.believedOverlaps = overlaps.count;
  for (const [kind, count] of Object.entries(orphans)) violationsByKind[`orphan ${kind}`] = count;
  const violations = Object.values(violationsByKind).reduce((sum, count) => sum + count, 0);

  return {
    seed: options.seed === undefined ? 'unset' : String(options.seed),
    operations: clientOperations.length,
    faults,
    acquires: checkLiveness(history),
    writes,
    overlaps,
    stale,
    lostUpdates,
    tokens,
    orphans,
    violationsByKind,
    violations,
  };
}
