import {
  type CapabilityProfile,
  InvalidArgumentError,
  type LockProvider,
  validateLockName,
} from '@lock/core';
import { checkNeeds } from './check-needs.js';
import type { BackendEntry } from './entries/backend-entry.js';
import { measureLock } from './measure-lock.js';
import type { Policy } from './policies.js';
import { rankCandidates } from './rank-candidates.js';
import type { CandidateBackend, CandidateReport } from './types.js';

/** Options of `Selector.calibrate`. */
export interface CalibrateOptions {
  /** Timed acquire + release pairs per cluster. Default 200. */
  rounds?: number | undefined;
  /** Only these backend entries (default: every configured one and the embedded ones). */
  backends?: readonly string[] | undefined;
  /**
   * The lock name timed on every cluster. Default `lock-calibration`: one fixed name, so that repeated runs
   * reuse the backend's entries for it instead of leaving one more per run. Calibrations that overlap on a
   * cluster wait for each other on it and measure that wait: calibrate from one process at a time.
   */
  lockName?: string | undefined;
  /**
   * `false` (default): only check that each policy's chosen backend meets its latency and throughput needs
   * with the measured figures, and throw `NoBackendSatisfiesError` if not. `true`: select by the measured
   * figures from now on. Every process that locks the same name must make the same choice, and measured
   * figures differ between processes, so apply them only where every process does the same.
   */
  apply?: boolean | undefined;
}

/** One backend cluster's calibration result. */
export interface CalibrationResult {
  /** The backend entry. */
  readonly backend: string;
  /** Index of the cluster within the entry (0 unless sharded). */
  readonly cluster: number;
  /** Median of one uncontended acquire + release, in ms. */
  readonly acquireReleaseP50Ms: number;
  /** Acquire + release pairs per second over the timed rounds. */
  readonly opsPerSec: number;
  /** Timed rounds (warm-up rounds excluded). */
  readonly rounds: number;
}

/** The lock name calibration times unless told otherwise: fixed, so that runs leave no new keys behind. */
const CALIBRATION_LOCK_NAME = 'lock-calibration';

/**
 * Measures each entry against its real servers: `rounds` uncontended acquire + release pairs on one lock name
 * per cluster. A sharded entry is as slow as its slowest cluster. Returns every cluster's figures and each
 * entry's worst.
 */
export async function calibrateEntries(
  entries: readonly BackendEntry[],
  provider: (entry: BackendEntry, index: number) => Promise<LockProvider>,
  options: CalibrateOptions,
): Promise<{ results: CalibrationResult[]; measured: Map<BackendEntry, CapabilityProfile> }> {
  const rounds = options.rounds ?? 200;
  if (!Number.isSafeInteger(rounds) || rounds < 1) {
    throw new InvalidArgumentError('options.rounds', rounds, 'a positive integer');
  }
  const lockName = options.lockName ?? CALIBRATION_LOCK_NAME;
  try {
    validateLockName(lockName);
  } catch (error) {
    const expected = InvalidArgumentError.isInstance(error) ? error.expected : 'a valid lock name';
    throw new InvalidArgumentError('options.lockName', lockName, expected);
  }
  const chosen =
    options.backends === undefined
      ? entries.filter((entry) => entry.unavailable === undefined)
      : options.backends.map((name) => {
          const entry = entries.find((candidate) => candidate.name === name);
          if (entry === undefined) {
            throw new InvalidArgumentError(
              'options.backends',
              name,
              `a configured backend (${entries.map((item) => JSON.stringify(item.name)).join(', ')})`,
            );
          }
          return entry;
        });
  const results: CalibrationResult[] = [];
  const measured = new Map<BackendEntry, CapabilityProfile>();
  for (const entry of chosen) {
    let worst: CapabilityProfile | undefined;
    for (let index = 0; index < entry.clusters.length; index += 1) {
      const figures = await measureLock((await provider(entry, index)).lock(lockName), rounds);
      results.push({ backend: entry.name, cluster: index, ...figures });
      worst = {
        acquireReleaseP50Ms: Math.max(worst?.acquireReleaseP50Ms ?? 0, figures.acquireReleaseP50Ms),
        opsPerSec: Math.min(worst?.opsPerSec ?? Number.POSITIVE_INFINITY, figures.opsPerSec),
        source: 'calibration',
      };
    }
    if (worst !== undefined) measured.set(entry, worst);
  }
  return { results, measured };
}

/**
 * The first policy whose chosen backend misses a need by the measured figures (without switching backends: other
 * processes choose by the configuration), with the refused report, or undefined when every policy holds.
 */
export function measuredRefusal(
  policies: readonly Policy[],
  candidates: readonly CandidateBackend[],
  measured: ReadonlyMap<BackendEntry, CapabilityProfile>,
): { policy: Policy; report: CandidateReport } | undefined {
  for (const policy of policies) {
    const ranked = rankCandidates(policy.needs, candidates, policy.config.backend);
    const first = ranked[0];
    const chosen = first?.chosen
      ? [...measured.keys()].find((entry) => entry.name === first.backend)
      : undefined;
    const profile = chosen === undefined ? undefined : measured.get(chosen);
    if (chosen === undefined || profile === undefined || first === undefined) continue;
    const verdict = checkNeeds(
      policy.needs,
      chosen.capabilities,
      profile,
      chosen.clusters.length,
      chosen.stableShards,
    );
    if (verdict.unmet.length > 0) {
      const reasons = ['measured by calibrate()', ...verdict.refusals];
      return { policy, report: { ...first, qualifies: false, chosen: false, reasons, unmet: verdict.unmet } };
    }
  }
  return undefined;
}
