// Shared measurement helpers for every benchmark suite: sample collection, percentiles, ratios and a
// plain-text table. Suites report ratios against a floor or a peer measured in the same run.
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Summary statistics of a sample of durations in nanoseconds (or any unit the caller chose). */
export interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / (sorted.length || 1);
  return {
    count: sorted.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean,
  };
}

export function median(values: readonly number[]): number {
  return summarize(values).p50;
}

/**
 * Runs `batch` (which performs `opsPerBatch` operations) `rounds` times after `warmupRounds`, and returns
 * the per-operation time of each round in nanoseconds. Medians of rounds are robust on a noisy machine.
 */
export async function timeRounds(
  batch: () => Promise<void> | void,
  opsPerBatch: number,
  rounds = 15,
  warmupRounds = 3,
): Promise<number[]> {
  for (let round = 0; round < warmupRounds; round++) await batch();
  const perOp: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = process.hrtime.bigint();
    await batch();
    perOp.push(Number(process.hrtime.bigint() - started) / opsPerBatch);
  }
  return perOp;
}

/** Runs contenders in rotation: the same number of rounds each, interleaved, so noise hits all alike. */
export async function interleaved(
  contenders: Record<string, () => Promise<number>>,
  rounds: number,
): Promise<Record<string, number[]>> {
  const results: Record<string, number[]> = Object.fromEntries(
    Object.keys(contenders).map((name) => [name, []]),
  );
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(contenders)) results[name]!.push(await run());
  }
  return results;
}

export function ratio(value: number, reference: number): string {
  return `${(value / reference).toFixed(2)}x`;
}

export function formatNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${ns.toFixed(0)} ns`;
}

export function formatRate(opsPerSec: number): string {
  return opsPerSec >= 1e6
    ? `${(opsPerSec / 1e6).toFixed(2)}M/s`
    : opsPerSec >= 1e3
      ? `${(opsPerSec / 1e3).toFixed(1)}k/s`
      : `${opsPerSec.toFixed(0)}/s`;
}

/** A plain-text table with a header row, columns padded to fit. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...cells.slice(1).map(line)].join(
    '\n',
  );
}

/** Event-loop delay of the current thread while `fn` runs (p50/p99/max in ms). */
export async function withEventLoopDelay<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; p50Ms: number; p99Ms: number; maxMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  try {
    const result = await fn();
    return {
      result,
      p50Ms: histogram.percentile(50) / 1e6,
      p99Ms: histogram.percentile(99) / 1e6,
      maxMs: histogram.max / 1e6,
    };
  } finally {
    histogram.disable();
  }
}

/** What every suite returns: a title, a table, the figures as JSON, and target verdicts. */
export interface SuiteReport {
  title: string;
  text: string;
  figures: Record<string, unknown>;
  targets: { name: string; met: boolean; detail: string }[];
}
