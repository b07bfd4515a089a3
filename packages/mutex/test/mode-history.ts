import type { Lock } from '@lock/core';
import { type HistoryEvent, mulberry32 } from '@lock/testkit';

/** What {@link runModeHistory} gives back: the history of every section, and the guarded counter. */
export interface ModeRun {
  history: HistoryEvent[];
  /** Increments made by write sections (read, yield, write back: a writer beside anyone loses some). */
  final: number;
  writes: number;
}

/**
 * Tasks of one process that each run `sections` critical sections, recording Jepsen-style events
 * (acquire invoke/ok with the grant's mode, release invoke/ok) on the monotonic clock, so the testkit's
 * checkers can judge an in-process lock as they judge clients in child processes. `pick(task, section)`
 * says which lock a section takes and whether it writes; the sections yield to the event loop in between
 * so that holders really interleave. Seeded, so a run can be repeated.
 */
export async function runModeHistory(
  tasks: number,
  sections: number,
  seed: number,
  pick: (task: number, random: () => number) => { lock: Lock; mode: 'shared' | 'exclusive'; writes: boolean },
): Promise<ModeRun> {
  const history: HistoryEvent[] = [];
  const random = mulberry32(seed);
  let counter = 0;
  let writes = 0;
  const now = () => process.hrtime.bigint();
  const run = async (task: number) => {
    for (let section = 0; section < sections; section++) {
      const { lock, mode, writes: writing } = pick(task, random);
      history.push({ proc: task, type: 'invoke', f: 'acquire', mode, t: now() });
      const lease = await lock.acquire();
      history.push({ proc: task, type: 'ok', f: 'acquire', mode, token: lease.token, t: now() });
      const seen = counter;
      for (let hop = Math.floor(random() * 3); hop >= 0; hop--) await yieldOnce(random);
      if (writing) {
        counter = seen + 1;
        writes++;
      }
      history.push({ proc: task, type: 'invoke', f: 'release', t: now() });
      await lease.release();
      history.push({ proc: task, type: 'ok', f: 'release', t: now() });
    }
  };
  await Promise.all(Array.from({ length: tasks }, (_, task) => run(task)));
  return { history, final: counter, writes };
}

function yieldOnce(random: () => number): Promise<void> {
  return random() < 0.5 ? Promise.resolve() : new Promise((resolve) => setImmediate(resolve));
}

/**
 * Queues `count` acquisitions that time out (10 ms) and `count` that are aborted, on the locks `pick(index)`
 * gives, then (with fake timers on) lets the timeouts fire. Returns how many ended with a timeout.
 */
export async function abandonWaits(
  count: number,
  pick: (index: number) => Lock,
  advance: (ms: number) => Promise<unknown>,
  isTimeout: (error: unknown) => boolean,
): Promise<number> {
  const endings: Array<Promise<unknown>> = [];
  for (let index = 0; index < count; index++) {
    const lock = pick(index);
    endings.push(lock.acquire({ timeoutMs: 10 }).catch((error: unknown) => error));
    const controller = new AbortController();
    endings.push(lock.acquire({ signal: controller.signal }).catch((error: unknown) => error));
    controller.abort(new Error('gone'));
  }
  await advance(20);
  return (await Promise.all(endings)).filter(isTimeout).length;
}
