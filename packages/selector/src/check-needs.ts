import type { Capabilities, CapabilityProfile } from '@lock/core';
import { DURABILITY_RANK, SCOPE_RANK } from './capability-ranks.js';
import type { ResolvedNeeds } from './types.js';

/** A latency for a reason line: `3.5 ms`, `250 µs`. @internal */
export function formatMs(ms: number): string {
  return ms >= 1 ? `${Number(ms.toPrecision(3))} ms` : `${Number((ms * 1000).toPrecision(3))} µs`;
}

/** A throughput for a reason line: `4,000 ops/s`. @internal */
export function formatOps(opsPerSec: number): string {
  return `${Math.round(opsPerSec).toLocaleString('en-US')} ops/s`;
}

/** The outcome of checking one candidate against needs. */
export interface NeedsVerdict {
  /** One line per need, e.g. `durability single-node < consensus required`. */
  readonly reasons: string[];
  /** The lines of `reasons` that refuse. */
  readonly refusals: string[];
  /** The needs missed, e.g. `durability >= consensus` (empty when every need is met). */
  readonly unmet: string[];
}

/**
 * Checks one set of capabilities and one profile against needs, one reason per need. Used on the declared
 * capabilities when choosing, and again on the provider's own capabilities once it exists (a backend that
 * declares less than its kind is refused, never silently used).
 *
 * `clusters` is the number of clusters the names are sharded over (throughput counts them all). Fencing
 * tokens are per cluster, so with more than one a `fencing` need is refused unless `stableShards` (the
 * entry's opt-in) says cluster-list changes are drained or move the fences along.
 */
export function checkNeeds(
  needs: ResolvedNeeds,
  capabilities: Capabilities,
  profile: CapabilityProfile | undefined,
  clusters = 1,
  stableShards = false,
): NeedsVerdict {
  const reasons: string[] = [];
  const refusals: string[] = [];
  const unmet: string[] = [];
  const check = (met: boolean, reason: string, need: string) => {
    reasons.push(reason);
    if (!met) {
      refusals.push(reason);
      unmet.push(need);
    }
  };
  const scopeMet = SCOPE_RANK[capabilities.scope] >= SCOPE_RANK[needs.scope];
  check(
    scopeMet,
    scopeMet
      ? `scope ${capabilities.scope} covers ${needs.scope}`
      : `scope ${capabilities.scope} < ${needs.scope} required`,
    `scope >= ${needs.scope}`,
  );
  const durabilityMet = DURABILITY_RANK[capabilities.durability] >= DURABILITY_RANK[needs.durability];
  check(
    durabilityMet,
    durabilityMet
      ? `durability ${capabilities.durability} >= ${needs.durability}`
      : `durability ${capabilities.durability} < ${needs.durability} required`,
    `durability >= ${needs.durability}`,
  );
  if (needs.fencing) {
    if (!capabilities.fencing) check(false, 'no monotonic fencing token, fencing required', 'fencing');
    else if (clusters <= 1) check(true, 'fencing token', 'fencing');
    else if (stableShards) {
      check(
        true,
        `fencing token per cluster (stableShards): tokens of the ${clusters} clusters are not comparable; drain or move the fence of names a cluster-list change moves`,
        'fencing',
      );
    } else {
      check(
        false,
        `fencing tokens of the ${clusters} clusters are not comparable (a name moved by a cluster-list change gets lower tokens), fencing required; set "stableShards": true once such changes are drained or move the fence`,
        'fencing',
      );
    }
  }
  if (needs.blocking) {
    const canWait = capabilities.waiting !== 'none';
    check(
      canWait,
      canWait ? `waits by ${capabilities.waiting}` : 'cannot wait in line (waiting: none), blocking required',
      'blocking',
    );
  } else reasons.push('preempt: tries once');
  if (needs.mode === 'shared') {
    const met = capabilities.readWrite === true;
    check(met, met ? 'read-write locks' : 'no read-write locks, mode shared required', 'read-write lock');
  }
  if (needs.permits !== undefined) {
    const met = capabilities.semaphore === true;
    const need = `semaphore of ${needs.permits} permits`;
    check(met, met ? 'semaphores' : `no semaphores, ${need} required`, need);
  }
  const source = profile === undefined ? '' : ` (${profile.source})`;
  if (needs.maxLatencyMs !== undefined) {
    const need = `p50 <= ${needs.maxLatencyMs} ms`;
    if (profile === undefined) {
      check(false, `latency unknown, ${need} required (calibrate or declare a profile)`, need);
    } else {
      const met = profile.acquireReleaseP50Ms <= needs.maxLatencyMs;
      const p50 = formatMs(profile.acquireReleaseP50Ms);
      const limit = formatMs(needs.maxLatencyMs);
      check(met, met ? `p50 ${p50} <= ${limit}${source}` : `p50 ${p50} > ${limit} allowed${source}`, need);
    }
  }
  if (needs.minOpsPerSec !== undefined) {
    const need = `>= ${needs.minOpsPerSec} ops/s`;
    const wanted = formatOps(needs.minOpsPerSec);
    if (profile === undefined) {
      check(false, `throughput unknown, ${wanted} required (calibrate or declare a profile)`, need);
    } else {
      const total = profile.opsPerSec * clusters;
      const shards = clusters > 1 ? ` over ${clusters} clusters` : '';
      const met = total >= needs.minOpsPerSec;
      check(
        met,
        met
          ? `throughput ${formatOps(total)}${shards} >= ${wanted}${source}`
          : `throughput ${formatOps(total)}${shards} < ${wanted} required${source}`,
        need,
      );
    }
  }
  return { reasons, refusals, unmet };
}

/**
 * How heavy a backend is, lightest first: who it excludes (process < threads < host < cluster), then how much
 * machinery stands behind a grant (memory < single node < replicas < quorum), then its median latency.
 */
