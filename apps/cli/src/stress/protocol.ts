// Messages between `lock stress` and its worker processes (over the IPC channel of child_process.fork).

/** What a worker is told to do. */
export interface WorkerPlan {
  /** `--config`'s path, or undefined for the embedded default. */
  readonly configPath: string | undefined;
  /** `--backend`: the entry every name is pinned to. */
  readonly backend: string | undefined;
  /** Arrivals per second this worker makes (its share of `--rate`). */
  readonly ratePerSec: number;
  /** Where in the arrival schedule this worker starts, as a fraction of one interval (spreads the workers). */
  readonly phase: number;
  readonly durationMs: number;
  /** The lock names: `${prefix}${index}` for index < names. */
  readonly prefix: string;
  readonly names: number;
  /** Zipf-distributed names (`--hot`) instead of uniform. */
  readonly hot: boolean;
  readonly holdMs: number;
  /** Per-acquisition `timeoutMs`. */
  readonly timeoutMs: number;
  /** Seeds the name picks. */
  readonly seed: number;
  /** Run the guarded-counter check through the parent (`--verify`). */
  readonly verify: boolean;
  /** Arrivals in flight beyond which new arrivals are shed (counted), so memory stays bounded. */
  readonly maxInFlight: number;
}

/** One second of one worker. */
export interface WorkerTick {
  readonly type: 'tick';
  /** Seconds since the worker's start (0 for the first). */
  readonly second: number;
  /** Acquire latencies granted in this second, ms, each from its arrival's intended start. */
  readonly latenciesMs: number[];
  readonly arrivals: number;
  readonly timeouts: number;
  readonly errors: number;
  readonly shed: number;
  /** CPU time the worker used in this second, ms (user + system). */
  readonly cpuMs: number;
  /** Largest delay between an arrival's intended start and when the worker issued it, ms. */
  readonly maxLagMs: number;
  /** The first error message of this second, if any. */
  readonly firstError?: string | undefined;
}

/** Parent to worker. */
export type ToWorker =
  | { readonly type: 'plan'; readonly plan: WorkerPlan }
  | { readonly type: 'go' }
  | { readonly type: 'stop' }
  | { readonly type: 'value'; readonly id: number; readonly value: number };

/** Worker to parent. */
export type FromWorker =
  | { readonly type: 'ready' }
  | WorkerTick
  | { readonly type: 'read'; readonly id: number; readonly name: string }
  | { readonly type: 'write'; readonly name: string; readonly value: number; readonly token: string }
  | { readonly type: 'done'; readonly inFlight: number }
  | { readonly type: 'fatal'; readonly message: string; readonly exitCode: number };
