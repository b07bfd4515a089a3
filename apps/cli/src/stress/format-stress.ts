import { formatLatency } from './percentiles.js';
import type { StressResult, StressSecond } from './stress-result.js';

/** One progress line: `  3s  4,998/s of 5,000/s  p50 0.41 ms  p99 1.90 ms  p999 4.10 ms  timeouts 0  errors 0`. */
export function formatSecond(second: StressSecond): string {
  const shed = second.shed > 0 ? `  shed ${second.shed}` : '';
  return [
    `${String(second.second + 1).padStart(4)}s`,
    `${count(second.grants)}/s of ${count(second.targetPerSec)}/s`.padEnd(22),
    `p50 ${formatLatency(second.latency.p50)}`.padEnd(13),
    `p99 ${formatLatency(second.latency.p99)}`.padEnd(13),
    `p999 ${formatLatency(second.latency.p999)}`.padEnd(14),
    `timeouts ${second.timeouts}`,
    `errors ${second.errors}${shed}`,
  ].join('  ');
}

/** The header line of a run. */
export function formatHeader(
  result: Pick<StressResult, 'backend' | 'kind' | 'workers' | 'names' | 'hot' | 'holdMs'>,
  ratePerSec: number,
  durationMs: number,
): string {
  const names = `${count(result.names)} name${result.names === 1 ? '' : 's'} ${result.hot ? 'hot (Zipf)' : 'uniform'}`;
  return `lock stress: ${count(ratePerSec)}/s for ${durationMs / 1000} s on ${result.backend} (${result.kind}), ${names}, hold ${result.holdMs} ms, ${result.workers} worker process${result.workers === 1 ? '' : 'es'}`;
}

/** The closing lines of a run. */
export function formatResult(result: StressResult): string {
  const lines = [
    `result: ${count(Math.round(result.achievedPerSec))} acquisitions/s of ${count(result.targetPerSec)}/s; acquire latency p50 ${formatLatency(result.latency.p50)}, p99 ${formatLatency(result.latency.p99)}, p999 ${formatLatency(result.latency.p999)}, max ${formatLatency(result.latency.max)} (from each arrival's intended start); ${result.timeouts} timeouts, ${result.errors} errors${result.shed > 0 ? `, ${result.shed} shed (over ${count(20_000)} in flight per worker)` : ''}`,
    `load generator: ${result.workers} process${result.workers === 1 ? '' : 'es'}, busiest at ${Math.round(result.generatorCpu * 100)}% of a core, scheduling lag p99 ${formatLatency(result.lagP99Ms)}: ${result.generatorLimited ? 'it may have been the limit (add --workers, or run from more machines)' : 'not the limit'}`,
  ];
  if (result.firstError !== undefined) lines.push(`first error: ${result.firstError}`);
  if (result.verify !== undefined) {
    const { sections, overlaps, staleWrites, lostUpdates } = result.verify;
    const safe = overlaps === 0 && staleWrites === 0 && lostUpdates === 0;
    lines.push(
      `verify: ${safe ? 'safe' : 'UNSAFE'}: ${count(sections)} guarded sections, ${overlaps} overlaps, ${staleWrites} stale writes refused, ${lostUpdates} lost updates`,
    );
  }
  if (result.aborted !== undefined) lines.push(`stopped early: ${result.aborted}`);
  return `${lines.join('\n')}\n`;
}

function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
