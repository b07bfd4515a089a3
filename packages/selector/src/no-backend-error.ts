import { type BackendKind, type CandidateVerdict, NoBackendSatisfiesError } from '@lock/core';
import { checkNeeds } from './check-needs.js';
import { KIND_CATALOG } from './kinds/catalog.js';
import { describeNeeds } from './resolve-needs.js';
import type { CandidateReport, ResolvedNeeds } from './types.js';

/**
 * The error for needs that no candidate meets: the needs the closest candidates miss (a need only far-off
 * candidates fail is not the one to fix), every candidate's reasons, and a hint naming a kind that would
 * meet them at its strongest, among the kinds whose descriptors are at hand.
 */
export function noBackendError(
  lockName: string,
  needs: ResolvedNeeds,
  ranked: readonly CandidateReport[],
  kinds: readonly BackendKind[],
): NoBackendSatisfiesError {
  const refused = ranked.filter((candidate) => !candidate.qualifies);
  const installed = refused.filter(
    (candidate) => !candidate.unmet.some((need) => need === 'installed' || need.startsWith('backend ')),
  );
  const pool = installed.length > 0 ? installed : refused;
  const fewest = Math.min(...pool.map((candidate) => candidate.unmet.length));
  const unmet = [
    ...new Set(
      pool.filter((candidate) => candidate.unmet.length === fewest).flatMap((candidate) => candidate.unmet),
    ),
  ];
  const verdicts: CandidateVerdict[] = ranked.map((candidate) => ({
    backend: candidate.backend,
    accepted: candidate.qualifies,
    reasons: [...candidate.reasons],
  }));
  return new NoBackendSatisfiesError(
    lockName,
    unmet.length > 0 ? unmet : describeNeeds(needs),
    verdicts,
    hint(needs, kinds),
  );
}

function hint(needs: ResolvedNeeds, kinds: readonly BackendKind[]): string {
  const fitting = kinds.filter(
    (kind) => checkNeeds(needs, kind.capabilities(kind.strongest), kind.defaultProfile).unmet.length === 0,
  );
  const known = new Set(kinds.map((kind) => kind.kind));
  const unjudged = Object.entries(KIND_CATALOG).filter(([kind]) => !known.has(kind));
  const others =
    unjudged.length === 0
      ? ''
      : `; not judged (not loaded): ${unjudged.map(([kind, entry]) => `${kind} (${entry.install})`).join(', ')}`;
  if (fitting.length > 0) {
    const names = fitting.map((kind) => `${kind.kind} (${kind.install})`).join(' or ');
    return `a backend of kind ${names} would satisfy them`;
  }
  return `no kind of backend at hand satisfies these needs together; relax one${others}`;
}
