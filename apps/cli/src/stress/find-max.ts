import { formatLatency } from './percentiles.js';
import type { StressResult } from './stress-result.js';

/** A latency objective: a percentile of acquire latency at most this many ms. */
export interface Slo {
  readonly percentile: 'p50' | 'p99' | 'p999';
  readonly ms: number;
}

/** Why a step of the ramp broke the objective, or undefined when it held. */
export function sloBreak(result: StressResult, slo: Slo): string | undefined {
  const observed = result.latency[slo.percentile];
  if (result.grants === 0) return 'no acquisition was granted';
  if (observed > slo.ms) return `${slo.percentile} ${formatLatency(observed)} > ${slo.ms} ms`;
  const failed = result.timeouts + result.errors + result.shed;
  if (failed > 0.01 * result.arrivals)
    return `${failed} of ${result.arrivals} arrivals timed out, failed or were shed (over 1%)`;
  if (result.achievedPerSec < 0.95 * result.targetPerSec) {
    return `achieved ${Math.round(result.achievedPerSec)}/s, under 95% of ${result.targetPerSec}/s`;
  }
  if (result.aborted !== undefined) return result.aborted;
  return undefined;
}

/** The rate of the next step: half again as much (rounded up to a whole number). */
export function nextRate(rate: number): number {
  return Math.ceil(rate * 1.5);
}

/** Parses `p99=20ms` (also `p50=`, `p999=`, and `20` or `20ms`). */
export function parseSlo(text: string): Slo | undefined {
  const match = /^(p50|p99|p999)=(\d+(?:\.\d+)?)(ms)?$/.exec(text.trim());
  if (match === null) return undefined;
  const ms = Number(match[2]);
  return ms > 0 ? { percentile: match[1] as Slo['percentile'], ms } : undefined;
}
