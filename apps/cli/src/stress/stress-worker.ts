// One load-generating process of `lock stress`: opens the selector, makes arrivals on its schedule (open loop:
// each at its intended time, whatever the backend does), and reports each second to the parent.
import { type Lock, LockTimeoutError } from '@lock/core';
import { openSelector } from '../config/open-selector.js';
import { reportErrorCode } from '../shared/report-error.js';
import { namePicker } from './name-picker.js';
import type { FromWorker, ToWorker, WorkerPlan } from './protocol.js';

const send = (message: FromWorker) => process.send!(message);

/**
 * The broken variant the tests run `--verify` against (LOCK_STRESS_MUTANT=no-lock): sections enter without a
 * lock, so the check must report overlaps and lost updates. Not an option: nothing but a test sets it.
 */
const unlocked = process.env.LOCK_STRESS_MUTANT === 'no-lock';

function fakeLease(): { readonly token: bigint; release(): Promise<void> } {
  return { token: 0n, release: async () => {} };
}

async function main(plan: WorkerPlan): Promise<void> {
  let opened: Awaited<ReturnType<typeof openSelector>>;
  try {
    opened = await openSelector(plan.configPath, { backend: plan.backend });
  } catch (error) {
    send({ type: 'fatal', message: messageOf(error), exitCode: reportErrorCode(error) });
    return;
  }
  const { selector } = opened;
  const locks = new Map<number, Lock>();
  const lockOf = (index: number): Lock => {
    let lock = locks.get(index);
    if (lock === undefined) locks.set(index, (lock = selector.lock(`${plan.prefix}${index}`)));
    return lock;
  };
  try {
    // The backend's first answer before the clock starts: a backend that is down fails here, not mid-run.
    const probe = await lockOf(0).acquire({ timeoutMs: plan.timeoutMs });
    await probe.release();
    send({ type: 'ready' });
  } catch (error) {
    send({ type: 'fatal', message: messageOf(error), exitCode: reportErrorCode(error) });
    await selector.close().catch(() => {});
    return;
  }
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const pick = namePicker(plan.names, plan.hot, plan.seed);
  const guarded = plan.verify ? guardedSection() : undefined;
  const intervalMs = 1000 / plan.ratePerSec;
  // Arrival n is due at (n + phase) intervals: those before the end of the run, counted once, exactly (a
  // comparison of clock offsets would let float rounding add one).
  const due = Math.max(0, Math.ceil((plan.durationMs * plan.ratePerSec) / 1000 - plan.phase - 1e-9));
  const startedAt = performance.now();
  let second = 0;
  let tick = emptyTick();
  let cpu = process.cpuUsage();
  let inFlight = 0;
  let next = 0;
  let stopped = false;
  process.on('message', (message: ToWorker) => {
    if (message.type === 'stop') stopped = true;
  });

  const arrive = async (intendedAt: number) => {
    const lock = lockOf(pick());
    try {
      const lease = unlocked ? fakeLease() : await lock.acquire({ timeoutMs: plan.timeoutMs });
      tick.latenciesMs.push(performance.now() - intendedAt);
      try {
        if (guarded !== undefined) await guarded(lock.name, lease.token, plan.holdMs);
        else if (plan.holdMs > 0) await sleep(plan.holdMs);
      } finally {
        await lease.release();
      }
    } catch (error) {
      if (LockTimeoutError.isInstance(error)) tick.timeouts += 1;
      else {
        tick.errors += 1;
        tick.firstError ??= messageOf(error);
      }
    } finally {
      inFlight -= 1;
    }
  };

  const flush = () => {
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    send({ type: 'tick', second, ...tick, cpuMs: (used.user + used.system) / 1000 });
    second += 1;
    tick = emptyTick();
  };

  await new Promise<void>((resolve) => {
    const pump = () => {
      const now = performance.now();
      while (!stopped) {
        if (next >= due) break;
        const intendedAt = startedAt + (next + plan.phase) * intervalMs;
        if (intendedAt > now) break;
        next += 1;
        tick.arrivals += 1;
        tick.maxLagMs = Math.max(tick.maxLagMs, now - intendedAt);
        if (inFlight >= plan.maxInFlight) {
          tick.shed += 1;
          continue;
        }
        inFlight += 1;
        void arrive(intendedAt);
      }
      // Every second but the last is reported as it ends; the last one waits for what is still in flight.
      while (now - startedAt >= (second + 1) * 1000 && (second + 1) * 1000 < plan.durationMs) flush();
      if (stopped || now - startedAt >= plan.durationMs) {
        resolve();
        return;
      }
      const wakeAt = Math.min(startedAt + (next + plan.phase) * intervalMs, startedAt + (second + 1) * 1000);
      setTimeout(pump, Math.max(0, wakeAt - performance.now()));
    };
    pump();
  });
  // Let what is in flight finish (each bounded by its timeout and hold), then report the last second with it.
  const settleBy = performance.now() + plan.timeoutMs + plan.holdMs + 5_000;
  while (inFlight > 0 && performance.now() < settleBy)
    await new Promise((resolve) => setTimeout(resolve, 10));
  flush();
  send({ type: 'done', inFlight });
  await selector.close().catch(() => {});
}

/**
 * The critical section of `--verify`: read the name's counter from the parent, hold the grant (`--hold`), then
 * write it back plus one with the lease's token. The parent counts overlapping sections and stale tokens.
 */
function guardedSection(): (name: string, token: bigint, holdMs: number) => Promise<void> {
  let nextId = 0;
  const waiting = new Map<number, (value: number) => void>();
  process.on('message', (message: ToWorker) => {
    if (message.type !== 'value') return;
    waiting.get(message.id)?.(message.value);
    waiting.delete(message.id);
  });
  return async (name, token, holdMs) => {
    const id = nextId++;
    const value = await new Promise<number>((resolve) => {
      waiting.set(id, resolve);
      send({ type: 'read', id, name });
    });
    if (holdMs > 0) await sleep(holdMs);
    send({ type: 'write', name, value: value + 1, token: token.toString() });
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function emptyTick() {
  return {
    latenciesMs: [] as number[],
    arrivals: 0,
    timeouts: 0,
    errors: 0,
    shed: 0,
    maxLagMs: 0,
    firstError: undefined as string | undefined,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

process.once('message', (message: ToWorker) => {
  if (message.type !== 'plan') return;
  main(message.plan).then(
    () => process.disconnect(),
    (error: unknown) => {
      send({ type: 'fatal', message: String((error as Error)?.stack ?? error), exitCode: 70 });
      process.disconnect();
    },
  );
});
