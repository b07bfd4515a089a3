import type { CalibrationResult, CandidateBackend } from '@lock/selector';

/**
 * Renders calibration results, then the `profile` block to paste into each backend entry so that every
 * process selects by the same figures (a sharded entry gets its slowest cluster's).
 */
export function formatCalibration(
  results: readonly CalibrationResult[],
  candidates: readonly CandidateBackend[],
): string {
  const lines = ['', 'calibration (uncontended acquire + release):'];
  const worst = new Map<string, { acquireReleaseP50Ms: number; opsPerSec: number }>();
  for (const result of results) {
    const cluster =
      results.filter((other) => other.backend === result.backend).length > 1
        ? ` cluster ${result.cluster + 1}`
        : '';
    lines.push(
      `  ${result.backend}${cluster}: p50 ${result.acquireReleaseP50Ms.toPrecision(3)} ms, ${Math.round(result.opsPerSec).toLocaleString('en-US')} ops/s over ${result.rounds} rounds`,
    );
    const previous = worst.get(result.backend);
    worst.set(result.backend, {
      acquireReleaseP50Ms: Math.max(previous?.acquireReleaseP50Ms ?? 0, result.acquireReleaseP50Ms),
      opsPerSec: Math.min(previous?.opsPerSec ?? Number.POSITIVE_INFINITY, result.opsPerSec),
    });
  }
  lines.push('', 'to select by these figures in every process, declare them in the configuration:');
  for (const [backend, profile] of worst) {
    const declared = {
      acquireReleaseP50Ms: Number(profile.acquireReleaseP50Ms.toPrecision(3)),
      opsPerSec: Math.round(profile.opsPerSec),
      source: 'benchmark',
    };
    const candidate = candidates.find((item) => item.name === backend);
    // A built-in gets a profile by being listed as an entry of its own kind.
    lines.push(
      candidate?.builtin
        ? `  backends.${backend} = ${JSON.stringify({ kind: candidate.kind, profile: declared })}`
        : `  backends.${backend}.profile = ${JSON.stringify(declared)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
