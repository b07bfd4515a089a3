/** p50, p99 and p999 of some latencies (ms), nearest-rank; all NaN when there are none. */
export interface LatencyPercentiles {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export function percentiles(values: readonly number[]): LatencyPercentiles {
  if (values.length === 0)
    return { count: 0, p50: Number.NaN, p99: Number.NaN, p999: Number.NaN, max: Number.NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (fraction: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
  return {
    count: sorted.length,
    p50: at(0.5),
    p99: at(0.99),
    p999: at(0.999),
    max: sorted[sorted.length - 1]!,
  };
}

/** A latency in ms for a progress line: `0.42 ms`, `12.3 ms`, `1.20 s`, `-` for none. */
export function formatLatency(ms: number): string {
  if (Number.isNaN(ms)) return '-';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}
