import { DURABILITY_RANK, SCOPE_RANK } from './capability-ranks.js';
import { checkNeeds, formatMs, type NeedsVerdict } from './check-needs.js';
import type { CandidateBackend, CandidateReport, ResolvedNeeds } from './types.js';

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
      verdict = checkNeeds(
        needs,
        candidate.capabilities,
        candidate.profile,
        candidate.clusters,
        candidate.stableShards === true,
      );
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
