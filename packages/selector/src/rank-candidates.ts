import type { Capabilities, CapabilityProfile, Durability, LockScope } from '@lock/core';
import type { CandidateBackend, CandidateReport, LockNeeds, ResolvedNeeds } from './types.js';

const SCOPE_RANK: Record<LockScope, number> = { process: 0, threads: 1, cluster: 2 };
const DURABILITY_RANK: Record<Durability, number> = {
  memory: 0,
  'single-node': 1,
  'replicated-async': 2,
  consensus: 3,
};

/** Fills in the defaults of {@link LockNeeds}: process scope, any durability, no fencing, blocking, no speed bound. */
export function resolveNeeds(needs: LockNeeds = {}): ResolvedNeeds {
  return {
    scope: needs.scope ?? 'process',
    durability: needs.durability ?? 'memory',
    fencing: needs.fencing ?? false,
    blocking: needs.blocking ?? true,
    maxLatencyMs: needs.maxLatencyMs,
    minOpsPerSec: needs.minOpsPerSec,
  };
}

/**
 * Combines a policy's needs with extra needs (a command's, a caller's): the stricter of each wins, and
 * `blocking` is taken from the extra needs when they give it.
 */
export function combineNeeds(base: ResolvedNeeds, extra: LockNeeds | undefined): ResolvedNeeds {
  if (extra === undefined) return base;
  const stricter = <T extends string>(rank: Record<T, number>, left: T, right: T | undefined): T =>
    right !== undefined && rank[right] > rank[left] ? right : left;
  const lower = (left: number | undefined, right: number | undefined) =>
    left === undefined ? right : right === undefined ? left : Math.min(left, right);
  const higher = (left: number | undefined, right: number | undefined) =>
    left === undefined ? right : right === undefined ? left : Math.max(left, right);
  return {
    scope: stricter(SCOPE_RANK, base.scope, extra.scope),
    durability: stricter(DURABILITY_RANK, base.durability, extra.durability),
    fencing: base.fencing || extra.fencing === true,
    blocking: extra.blocking ?? base.blocking,
    maxLatencyMs: lower(base.maxLatencyMs, extra.maxLatencyMs),
    minOpsPerSec: higher(base.minOpsPerSec, extra.minOpsPerSec),
  };
}

/** Renders needs as the list `selector.explain` and errors print, e.g. `scope >= cluster`. */
export function describeNeeds(needs: ResolvedNeeds): string[] {
  const lines = [`scope >= ${needs.scope}`, `durability >= ${needs.durability}`];
  if (needs.fencing) lines.push('fencing');
  lines.push(needs.blocking ? 'blocking (wait in line)' : 'preempt (try once)');
  if (needs.maxLatencyMs !== undefined) lines.push(`p50 <= ${needs.maxLatencyMs} ms`);
  if (needs.minOpsPerSec !== undefined) lines.push(`>= ${needs.minOpsPerSec} ops/s`);
  return lines;
}

function formatMs(ms: number): string {
  return ms >= 1 ? `${Number(ms.toPrecision(3))} ms` : `${Number((ms * 1000).toPrecision(3))} µs`;
}

function formatOps(opsPerSec: number): string {
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
 */
export function checkNeeds(
  needs: ResolvedNeeds,
  capabilities: Capabilities,
  profile: CapabilityProfile | undefined,
  clusters = 1,
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
    check(
      capabilities.fencing,
      capabilities.fencing ? 'fencing token' : 'no monotonic fencing token, fencing required',
      'fencing',
    );
  }
  if (needs.blocking) {
    const canWait = capabilities.waiting !== 'none';
    check(
      canWait,
      canWait ? `waits by ${capabilities.waiting}` : 'cannot wait in line (waiting: none), blocking required',
      'blocking',
    );
  } else reasons.push('preempt: tries once');
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
 * How heavy a backend is, lightest first: who it excludes (process < threads < cluster), then how much
 * machinery stands behind a grant (memory < single node < replicas < quorum), then its median latency.
 */
function weight(candidate: CandidateBackend): [number, number, number] {
  return [
    SCOPE_RANK[candidate.capabilities.scope],
    DURABILITY_RANK[candidate.capabilities.durability],
    candidate.profile?.acquireReleaseP50Ms ?? Number.POSITIVE_INFINITY,
  ];
}

function compareWeights(left: [number, number, number], right: [number, number, number]): number {
  for (let index = 0; index < left.length; index += 1) {
    const difference = left[index]! - right[index]!;
    if (difference !== 0) return difference;
  }
  return 0;
}

/**
 * The selection rule. Refuses every candidate that misses a need (with the reason), then ranks the rest
 * lightest first: a local lock while one process is enough, Redis before a consensus store when a server
 * failure may lose the lock, etcd or ZooKeeper when it may not. Only configured backends and the built-in
 * in-process ones are candidates: the selector never adds a system, it says which kind would fit. Ties keep
 * the configuration's order. `pinned` restricts the choice to one entry (the policy's `backend`).
 *
 * @returns every candidate, qualifying ones first in rank order; the first is `chosen` if it qualifies.
 */
export function rankCandidates(
  needs: ResolvedNeeds,
  candidates: readonly CandidateBackend[],
  pinned?: string,
): CandidateReport[] {
  const judged = candidates.map((candidate, order) => {
    let verdict: NeedsVerdict;
    if (pinned !== undefined && candidate.name !== pinned) {
      const reason = `the policy pins backend "${pinned}"`;
      verdict = { reasons: [reason], refusals: [reason], unmet: [`backend "${pinned}"`] };
    } else if (candidate.unavailable !== undefined) {
      verdict = { reasons: [candidate.unavailable], refusals: [candidate.unavailable], unmet: ['installed'] };
    } else {
      verdict = checkNeeds(needs, candidate.capabilities, candidate.profile, candidate.clusters);
    }
    return { candidate, order, verdict, weight: weight(candidate) };
  });
  const qualifying = judged
    .filter((entry) => entry.verdict.unmet.length === 0)
    .sort((left, right) => compareWeights(left.weight, right.weight) || left.order - right.order);
  const refused = judged.filter((entry) => entry.verdict.unmet.length > 0);
  const reports: CandidateReport[] = [];
  qualifying.forEach((entry, rank) => {
    const chosen = rank === 0;
    const lead = chosen
      ? qualifying.length > 1
        ? 'chosen: the lightest that qualifies'
        : 'chosen: the only one that qualifies'
      : `qualifies, ranked ${rank + 1}: ${heavierBecause(entry.candidate, qualifying[0]!.candidate)}`;
    reports.push(report(entry.candidate, true, chosen, [lead, ...entry.verdict.reasons], []));
  });
  for (const entry of refused) {
    reports.push(report(entry.candidate, false, false, entry.verdict.refusals, entry.verdict.unmet));
  }
  return reports;
}

function heavierBecause(candidate: CandidateBackend, best: CandidateBackend): string {
  if (candidate.capabilities.scope !== best.capabilities.scope) {
    return `wider scope (${candidate.capabilities.scope}) than needed`;
  }
  if (candidate.capabilities.durability !== best.capabilities.durability) {
    return `heavier machinery (${candidate.capabilities.durability})`;
  }
  const mine = candidate.profile?.acquireReleaseP50Ms;
  const theirs = best.profile?.acquireReleaseP50Ms;
  if (mine !== undefined && theirs !== undefined && mine !== theirs) {
    return `slower (p50 ${formatMs(mine)} vs ${formatMs(theirs)})`;
  }
  return 'listed after an equal candidate';
}

function report(
  candidate: CandidateBackend,
  qualifies: boolean,
  chosen: boolean,
  reasons: string[],
  unmet: string[],
): CandidateReport {
  return {
    backend: candidate.name,
    kind: candidate.kind,
    qualifies,
    chosen,
    reasons,
    unmet,
    capabilities: candidate.capabilities,
    profile: candidate.profile,
    clusters: candidate.clusters,
  };
}
