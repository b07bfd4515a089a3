import type { HistoryEvent } from '../history.js';
import { nsToMs, pairOperations } from './operations.js';

/** Acquire counts and latency. */
export interface LivenessReport {
  invoked: number;
  ok: number;
  fail: number;
  /** Indeterminate (timeout, crash); an `invoke` without any completion counts here too. */
  info: number;
  /** Latency of successful acquires, nearest-rank percentiles; 0 when there were none. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Liveness: how many acquires succeeded and how long they waited. */
export function checkLiveness(history: readonly HistoryEvent[]): LivenessReport {
  const acquires = pairOperations(history).filter(
    (operation) => operation.f === 'acquire' && operation.invoke,
  );
  const latencies: number[] = [];
  let ok = 0;
  let fail = 0;
  let info = 0;
  for (const operation of acquires) {
    const type = operation.complete?.type ?? 'info';
    if (type === 'ok') {
      ok += 1;
      latencies.push(nsToMs(operation.complete!.t - operation.invoke!.t));
    } else if (type === 'fail') fail += 1;
    else info += 1;
  }
  latencies.sort((a, b) => a - b);
  return {
    invoked: acquires.length,
    ok,
    fail,
    info,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? 0,
  };
}

/** Nearest-rank percentile of sorted values; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
