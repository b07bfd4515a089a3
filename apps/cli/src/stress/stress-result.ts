import type { LatencyPercentiles } from './percentiles.js';

/** One second of a run, over every worker. */
export interface StressSecond {
  readonly second: number;
  /** Arrivals per second the run aimed at. */
  readonly targetPerSec: number;
  /** Arrivals made in this second (issued on schedule; shed ones included). */
  readonly arrivals: number;
  /** Grants in this second: the achieved rate. */
  readonly grants: number;
  readonly latency: LatencyPercentiles;
  readonly timeouts: number;
  readonly errors: number;
  readonly shed: number;
  /** CPU the load generator used, as a fraction of one core per worker (the busiest worker). */
  readonly generatorCpu: number;
  /** Largest delay of an arrival behind its intended start, over the workers, ms. */
  readonly maxLagMs: number;
}

/** What the guarded counter of `--verify` saw. */
export interface VerifyResult {
  /** Critical sections that wrote. */
  readonly sections: number;
  /** Times a section started while another section of the same name was inside: must be 0. */
  readonly overlaps: number;
  /** Writes refused because their token was below the name's latest: must be 0 for a lock that holds. */
  readonly staleWrites: number;
  /** Sections whose increment was lost (counter below the writes): must be 0. */
  readonly lostUpdates: number;
}

/** A whole run at one rate. */
export interface StressResult {
  readonly backend: string;
  readonly kind: string;
  readonly scope: string;
  readonly workers: number;
  readonly targetPerSec: number;
  readonly durationMs: number;
  readonly names: number;
  readonly hot: boolean;
  readonly holdMs: number;
  readonly seconds: readonly StressSecond[];
  /** Grants per second over the run. */
  readonly achievedPerSec: number;
  readonly latency: LatencyPercentiles;
  /** Every latency, for the report's distribution (ms). */
  readonly latenciesMs: readonly number[];
  readonly arrivals: number;
  readonly grants: number;
  readonly timeouts: number;
  readonly errors: number;
  readonly shed: number;
  readonly firstError: string | undefined;
  /** The busiest worker's CPU, as a fraction of a core, in its busiest second. */
  readonly generatorCpu: number;
  /** p99 over seconds of the workers' largest scheduling lag, ms. */
  readonly lagP99Ms: number;
  /** True when the load generator, not the backend, may have been the limit. */
  readonly generatorLimited: boolean;
  readonly verify: VerifyResult | undefined;
  /** Why the run was cut short, if it was. */
  readonly aborted: string | undefined;
  /** True when the run stopped because the backend failed every acquisition for several seconds. */
  readonly backendFailed: boolean;
}
