import type { ResourceWrite } from '../guarded-resource.js';

/** What {@link checkStaleWrites} found. */
export interface StaleWriteReport {
  /** Writes accepted with a token below one already accepted. Must be 0 when fenced. */
  staleAccepted: number;
  /** Writes the resource rejected (the fence at work; not a violation). */
  rejected: number;
  accepted: number;
}

/**
 * Stale accepted: walks the resource's own write log in arrival order and counts accepted writes whose
 * token is below the highest token accepted before them. Uses the resource's order, not the clients'
 * clocks, because acceptance is decided there.
 */
export function checkStaleWrites(writes: readonly ResourceWrite[]): StaleWriteReport {
  let maxAccepted: bigint | undefined;
  let staleAccepted = 0;
  let rejected = 0;
  let accepted = 0;
  for (const write of writes) {
    if (!write.accepted) {
      rejected += 1;
      continue;
    }
    accepted += 1;
    if (maxAccepted !== undefined && write.token < maxAccepted) staleAccepted += 1;
    if (maxAccepted === undefined || write.token > maxAccepted) maxAccepted = write.token;
  }
  return { staleAccepted, rejected, accepted };
}
