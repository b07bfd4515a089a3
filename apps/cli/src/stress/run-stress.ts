import { type ChildProcess, fork } from 'node:child_process';
import { GuardedCounter } from './guarded-counter.js';
import { percentiles } from './percentiles.js';
import type { FromWorker, ToWorker, WorkerPlan, WorkerTick } from './protocol.js';
import type { StressResult, StressSecond } from './stress-result.js';

/** The backend a run drives, as the parent found it. */
export interface StressTarget {
  readonly backend: string;
  readonly kind: string;
  readonly scope: string;
  readonly fencing: boolean;
}

/** One run at one rate. */
export interface StressRunOptions {
  readonly configPath: string | undefined;
  readonly pinned: string | undefined;
  readonly target: StressTarget;
  readonly ratePerSec: number;
  readonly durationMs: number;
  readonly prefix: string;
  readonly names: number;
  readonly hot: boolean;
  readonly holdMs: number;
  readonly timeoutMs: number;
  readonly workers: number;
  readonly verify: boolean;
  readonly seed: number;
  /** Called with each second once every worker has reported it. */
  readonly onSecond?: ((second: StressSecond) => void) | undefined;
  /** Aborts the run (SIGINT): workers stop making arrivals and finish what is in flight. */
  readonly signal?: AbortSignal | undefined;
}

/** A worker failed to start or the backend failed: the message and the exit code `lock stress` exits with. */
export class StressFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Seconds in a row in which every arrival failed before a run gives up on the backend. */
const FAILING_SECONDS = 3;
/** Arrivals in flight per worker beyond which arrivals are shed. */
const MAX_IN_FLIGHT = 20_000;

/**
 * Runs the load: `workers` processes, each making its share of the arrivals on an open-loop schedule, and
 * aggregates their seconds. Rejects with {@link StressFailure} when a worker cannot start (bad configuration,
 * unreachable backend) or the backend fails every arrival for several seconds; never waits longer than the
 * run, the acquisition timeout and a grace period.
 */
export async function runStress(options: StressRunOptions): Promise<StressResult> {
  const counter = options.verify ? new GuardedCounter(options.target.fencing) : undefined;
  const children: ChildProcess[] = [];
  const ticks = new Map<number, WorkerTick[]>();
  const seconds: StressSecond[] = [];
  const latencies: number[] = [];
  let firstError: string | undefined;
  let aborted: string | undefined;
  let backendFailed = false;
  let failingSeconds = 0;
  let done = 0;
  let ready = 0;
  let settle: (error?: unknown) => void = () => {};
  const finished = new Promise<void>((resolve, reject) => {
    settle = (error?: unknown) => (error === undefined ? resolve() : reject(error));
  });
  const stopAll = () => {
    for (const child of children) if (child.connected) child.send({ type: 'stop' } satisfies ToWorker);
  };
  const emit = (second: number) => {
    const parts = ticks.get(second) ?? [];
    ticks.delete(second);
    const secondLatencies = parts.flatMap((part) => part.latenciesMs);
    for (const latency of secondLatencies) latencies.push(latency);
    const sum = (pick: (part: WorkerTick) => number) => parts.reduce((total, part) => total + pick(part), 0);
    const summary: StressSecond = {
      second,
      targetPerSec: options.ratePerSec,
      arrivals: sum((part) => part.arrivals),
      grants: secondLatencies.length,
      latency: percentiles(secondLatencies),
      timeouts: sum((part) => part.timeouts),
      errors: sum((part) => part.errors),
      shed: sum((part) => part.shed),
      generatorCpu: Math.max(0, ...parts.map((part) => part.cpuMs / 1000)),
      maxLagMs: Math.max(0, ...parts.map((part) => part.maxLagMs)),
    };
    firstError ??= parts.find((part) => part.firstError !== undefined)?.firstError;
    seconds.push(summary);
    options.onSecond?.(summary);
    failingSeconds = summary.errors > 0 && summary.grants === 0 ? failingSeconds + 1 : 0;
    if (failingSeconds >= FAILING_SECONDS && aborted === undefined) {
      backendFailed = true;
      aborted = `every acquisition failed for ${FAILING_SECONDS} s: ${firstError ?? 'unknown error'}`;
      stopAll();
    }
  };
  const workerUrl = new URL('./stress-worker.js', import.meta.url);
  const watchdog = setTimeout(
    () => {
      for (const child of children) child.kill('SIGKILL');
      settle(new StressFailure('the load generator did not finish in time; its workers were killed', 69));
    },
    options.durationMs + options.timeoutMs + options.holdMs + 60_000,
  );
  const onAbort = () => {
    aborted ??= 'interrupted';
    stopAll();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (let index = 0; index < options.workers; index++) {
      const child = fork(workerUrl, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      children.push(child);
      const plan: WorkerPlan = {
        configPath: options.configPath,
        backend: options.pinned,
        ratePerSec: options.ratePerSec / options.workers,
        phase: index / options.workers,
        durationMs: options.durationMs,
        prefix: options.prefix,
        names: options.names,
        hot: options.hot,
        holdMs: options.holdMs,
        timeoutMs: options.timeoutMs,
        seed: options.seed + index,
        verify: options.verify,
        maxInFlight: MAX_IN_FLIGHT,
      };
      child.send({ type: 'plan', plan } satisfies ToWorker);
      child.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            ready += 1;
            if (ready === options.workers)
              for (const each of children) each.send({ type: 'go' } satisfies ToWorker);
            break;
          case 'fatal':
            for (const each of children) each.kill('SIGKILL');
            settle(new StressFailure(message.message, message.exitCode));
            break;
          case 'tick': {
            const parts = ticks.get(message.second) ?? [];
            parts.push(message);
            ticks.set(message.second, parts);
            if (parts.length === options.workers) emit(message.second);
            break;
          }
          case 'read':
            child.send({
              type: 'value',
              id: message.id,
              value: counter!.read(message.name),
            } satisfies ToWorker);
            break;
          case 'write':
            counter!.write(message.name, message.value, BigInt(message.token));
            break;
          case 'done':
            done += 1;
            if (done === options.workers) settle();
            break;
        }
      });
      child.on('exit', (code, signal) => {
        if (done < options.workers && code !== 0) {
          settle(new StressFailure(`a load-generator worker exited with ${code ?? signal}`, 70));
        }
      });
    }
    await finished;
  } finally {
    clearTimeout(watchdog);
    options.signal?.removeEventListener('abort', onAbort);
    for (const child of children) if (child.exitCode === null && !child.connected) child.kill('SIGKILL');
  }
  // Seconds some worker did not report in full (the last, partial one): emit what arrived.
  for (const second of [...ticks.keys()].sort((a, b) => a - b)) emit(second);
  const total = (pick: (second: StressSecond) => number) =>
    seconds.reduce((sum, second) => sum + pick(second), 0);
  const lags = percentiles(seconds.map((second) => second.maxLagMs));
  const generatorCpu = Math.max(0, ...seconds.map((second) => second.generatorCpu));
  const durationS = Math.max(1, Math.min(options.durationMs, seconds.length * 1000) / 1000);
  return {
    ...options.target,
    workers: options.workers,
    targetPerSec: options.ratePerSec,
    durationMs: options.durationMs,
    names: options.names,
    hot: options.hot,
    holdMs: options.holdMs,
    seconds,
    achievedPerSec: latencies.length / durationS,
    latency: percentiles(latencies),
    latenciesMs: latencies,
    arrivals: total((second) => second.arrivals),
    grants: latencies.length,
    timeouts: total((second) => second.timeouts),
    errors: total((second) => second.errors),
    shed: total((second) => second.shed),
    firstError,
    generatorCpu,
    lagP99Ms: Number.isNaN(lags.p99) ? 0 : lags.p99,
    // A worker near a full core, or arrivals issued late, means the generator may have set the pace.
    generatorLimited: generatorCpu > 0.9 || (!Number.isNaN(lags.p99) && lags.p99 > 20),
    verify: counter?.result(),
    aborted,
    backendFailed,
  };
}
