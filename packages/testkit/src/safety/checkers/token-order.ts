import type { HistoryEvent } from '../history.js';
import { pairOperations } from './operations.js';

/** What {@link checkTokenOrder} found. */
export interface TokenOrderReport {
  /** Acquires that completed with a token. */
  grants: number;
  /** Grants B with a token below that of a grant A that completed before B was invoked. */
  regressions: number;
  /** Grants whose token equals that of another grant (each extra copy counts once). */
  duplicates: number;
}

/**
 * Token monotonicity: if `ok(acquire A)` happened before `invoke(acquire B)`, then `token A < token B`.
 * Grants that overlap in real time carry no order obligation between them; duplicates are counted across
 * all grants, since one token must never be issued twice.
 */
export function checkTokenOrder(history: readonly HistoryEvent[]): TokenOrderReport {
  const grants = pairOperations(history).filter(
    (operation) =>
      operation.f === 'acquire' &&
      operation.invoke !== undefined &&
      operation.complete?.type === 'ok' &&
      operation.complete.token !== undefined,
  );
  const byCompletion = [...grants].sort((a, b) => compare(a.complete!.t, b.complete!.t));
  const byInvoke = [...grants].sort((a, b) => compare(a.invoke!.t, b.invoke!.t));

  // Sweep: for each grant in invoke order, the maximum token among grants completed before its invoke.
  let regressions = 0;
  let completedIndex = 0;
  let maxCompleted: bigint | undefined;
  for (const grant of byInvoke) {
    while (
      completedIndex < byCompletion.length &&
      byCompletion[completedIndex]!.complete!.t < grant.invoke!.t
    ) {
      const token = byCompletion[completedIndex]!.complete!.token!;
      if (maxCompleted === undefined || token > maxCompleted) maxCompleted = token;
      completedIndex += 1;
    }
    if (maxCompleted !== undefined && grant.complete!.token! < maxCompleted) regressions += 1;
  }

  const seen = new Set<bigint>();
  let duplicates = 0;
  for (const grant of grants) {
    const token = grant.complete!.token!;
    if (seen.has(token)) duplicates += 1;
    else seen.add(token);
  }
  return { grants: grants.length, regressions, duplicates };
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
