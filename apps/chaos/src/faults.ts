import type { HistoryEvent } from '@lock/testkit';
import { revokesLiveLeasesAfterLeaderPause } from './etcd-server-version.js';
import type { PoolControl } from './pool.js';
import type { Backend, Topology } from './topology.js';

/** The faults this runner injects (the numbering of docs/fault-matrix.md). */
export type Fault = 'F0' | 'F1' | 'F2' | 'F3' | 'F4' | 'F5' | 'F6' | 'F7' | 'F8' | 'F9' | 'F10' | 'F13';

/**
 * What a cell must show:
 * - `SAFE`: no violation at all, believed overlaps included;
 * - `FENCED`: overlaps may happen (a paused or cut-off holder cannot know at once), and tokens may regress
 *   where the backend documents it (a Redis restart without persistence resets the fence counter), but the
 *   fence keeps stale writes accepted and lost updates at 0;
 * - `RED`: a control with its fault on; it must find what the fault does to it (see {@link Control}).
 */
export type Expectation = 'SAFE' | 'FENCED' | 'RED';

/**
 * Each fault, the backends it applies to, and what each must show there on a server without known bugs.
 * A leader kill or pause is SAFE on consensus backends (no overlap at all); pauses of a holder, and the
 * loss of a single Redis server, can only be FENCED. {@link expectationFor} adjusts a cell for the server
 * actually running. `live`: the cell also fails on a waiter that gave up (its acquire timed out), since
 * the fault must not leave the lock stuck.
 */
export const FAULTS: Record<
  Fault,
  { title: string; expect: Partial<Record<Backend, Expectation>>; live?: boolean }
> = {
  F0: { title: 'contention only', expect: { redis: 'SAFE', etcd: 'SAFE', zk: 'SAFE' } },
  F1: { title: 'holder paused 0.4 x TTL', expect: { redis: 'SAFE' } },
  F2: { title: 'holder paused 2.5 x TTL', expect: { redis: 'FENCED', etcd: 'FENCED', zk: 'FENCED' } },
  F3: { title: 'holder kill -9, replaced', expect: { redis: 'SAFE', etcd: 'SAFE', zk: 'SAFE' }, live: true },
  F4: { title: 'queued waiter kill -9, replaced', expect: { etcd: 'SAFE', zk: 'SAFE' }, live: true },
  F5: { title: "holder's connection blackholed 2.5 x TTL", expect: { redis: 'FENCED' } },
  F6: { title: "holder's connection reset", expect: { redis: 'SAFE' } },
  F7: { title: 'replies to the holder delayed 0.25-0.75 x TTL', expect: { redis: 'SAFE' } },
  F8: { title: 'server crash + restart, no persistence', expect: { redis: 'FENCED' } },
  F9: { title: 'leader kill -9 + restart', expect: { etcd: 'SAFE', zk: 'SAFE' } },
  F10: {
    title: 'leader / server SIGSTOP past the TTL',
    expect: { redis: 'FENCED', etcd: 'SAFE', zk: 'SAFE' },
  },
  F13: {
    title: "a waiter's replies dropped 1.5 x TTL, then its link reset",
    expect: { redis: 'SAFE' },
    live: true,
  },
};

/**
 * A control: a broken client (or resource) that is safe without the cell's fault and unsafe with it, so a
 * green cell is checked against its fault and not merely against contention. Each cell runs its control
 * twice: with the fault off (`off`: no fault, or one client for F0 whose "fault" is contention), where it
 * must stay green, and with the fault on, where it must turn red: `unsafe` (stale operations accepted or
 * updates lost) or `stuck` (a waiter gave up: the lock never came free).
 */
export interface Control {
  name: 'no-lock' | 'fencing-off' | 'short-ttl' | 'never-expires' | 'no-watchdog';
  /** The testkit mutant the run uses (the resource's fencing follows it). */
  mutant: 'none' | 'no-lock' | 'fencing-off';
  off: 'no fault' | 'one client';
  red: 'unsafe' | 'stuck';
  /** The client's lease TTL, when the control changes it. */
  ttlMs?: number;
  /** The control's clients write without looking at `lease.signal`. */
  ignoresSignal?: boolean;
  /** What the control is, in the README's words. */
  what: string;
  /**
   * Set when no control here depends on the fault: the cell then runs the no-lock control, which shows
   * only that contention is detected, and is marked unverified against its fault.
   */
  unverified?: string;
}

/** A lease TTL no run outlives (ZooKeeper clamps it to 20 ticks, 10 s with the testkit's 500 ms tick). */
const NEVER_MS = 600_000;

/** The control of a cell (see {@link Control}). */
export function controlFor(fault: Fault, backend: Backend, expect: Expectation, ttlMs: number): Control {
  const noLock: Control = {
    name: 'no-lock',
    mutant: 'no-lock',
    off: 'one client',
    red: 'unsafe',
    what: 'clients without the lock, fence off',
  };
  switch (fault) {
    case 'F0':
      return noLock;
    case 'F1':
      return {
        name: 'short-ttl',
        mutant: 'fencing-off',
        off: 'no fault',
        red: 'unsafe',
        ttlMs: Math.round(ttlMs * 0.15),
        ignoresSignal: true,
        what: `a lease TTL (${Math.round(ttlMs * 0.15)} ms) shorter than the pause, clients ignore lease.signal, fence off`,
      };
    case 'F3':
    case 'F4':
      return {
        name: 'never-expires',
        mutant: 'none',
        off: 'no fault',
        red: 'stuck',
        ttlMs: NEVER_MS,
        what: 'a lease / session that outlives the run',
      };
    case 'F5':
      return {
        name: 'no-watchdog',
        mutant: 'fencing-off',
        off: 'no fault',
        red: 'unsafe',
        ignoresSignal: true,
        what: 'clients ignore lease.signal (no safe-deadline watchdog), fence off',
      };
    default:
      if (expect === 'FENCED') {
        if ((fault === 'F10' || fault === 'F8') && backend === 'redis')
          return {
            name: 'no-watchdog',
            mutant: 'fencing-off',
            off: 'no fault',
            red: 'unsafe',
            ignoresSignal: true,
            what: 'clients ignore lease.signal (no safe-deadline watchdog), fence off',
          };
        return {
          name: 'fencing-off',
          mutant: 'fencing-off',
          off: 'no fault',
          red: 'unsafe',
          what: 'fence off (clients write without looking at lease.signal)',
        };
      }
      return {
        ...noLock,
        unverified:
          fault === 'F13'
            ? 'no control found that this fault makes unsafe: the waiter whose reply was lost finds its grant again after the reconnect, so nothing is orphaned, even under a lease that never expires'
            : fault === 'F6' || fault === 'F7'
              ? 'no control found that this fault makes unsafe: the key outlives a reset link or late replies (requests still arrive), so even a client that ignores lease.signal behind no fence keeps its lock'
              : 'no control found that this fault makes unsafe: a correct consensus server keeps the lease through it',
      };
  }
}

/** What one cell must show on the server that runs it, and why when that differs from {@link FAULTS}. */
export interface CellExpectation {
  expect: Expectation;
  because?: string;
}

/**
 * What `fault` must show on `backend` at `serverVersion`. A leader pause on an etcd server with the
 * old-leader lease revocation bug can grant a lock to a second client while the first still holds it, so
 * there the cell is FENCED: overlaps are counted but allowed, and the fence (reads and writes) must keep
 * stale accepted and lost updates at 0. A server whose version cannot be read gets the same, since the fix
 * cannot be assumed.
 */
export function expectationFor(fault: Fault, backend: Backend, serverVersion?: string): CellExpectation {
  const expect = FAULTS[fault].expect[backend];
  if (expect === undefined) throw new Error(`fault ${fault} does not apply to ${backend}`);
  if (fault === 'F10' && backend === 'etcd') {
    const affected =
      serverVersion === undefined ? undefined : revokesLiveLeasesAfterLeaderPause(serverVersion);
    if (affected === true) {
      return {
        expect: 'FENCED',
        because: `etcd ${serverVersion} revokes live leases when a paused leader resumes (fixed in 3.4.28 and 3.5.11)`,
      };
    }
    if (affected === undefined) {
      return {
        expect: 'FENCED',
        because: `etcd version ${serverVersion ?? 'unknown'}: the fix of the old-leader lease revocation cannot be assumed`,
      };
    }
  }
  return { expect };
}

/** How the clients of a cell run their critical sections. */
export interface Workload {
  /** Mean read-to-write time: each section sleeps uniformly in [0, 2 x this]. */
  criticalSectionMs: number;
  /** Whether a client checks `lease.signal` just before it writes (a careful client). */
  checkLeaseBeforeWrite: boolean;
  /** Critical sections per client, when the cell needs fewer than the backend's default (long sections). */
  operations?: number;
  /** Acquire timeout: short in `live` cells, where a waiter that gives up is the finding. */
  acquireTimeoutMs: number;
}

/**
 * The workload of a cell.
 * - F2 pauses a holder inside its read-to-write sleep; a longer sleep makes the window easy to hit. Its
 *   clients skip the lease check before writing, as if the pause had landed just after that check (a GC
 *   pause can): `lease.signal` reads the safe deadline whenever it is looked at, so a check made after the
 *   pause always sees the loss and the fence would have nothing to stop.
 * - F5, and F8 and F10 on Redis: the holder loses its lease while it works (its connection blackholed, the
 *   server restarted empty, or paused past the TTL) and the next holder is granted once the key is gone,
 *   about a TTL later.
 *   Only a section longer than that can overlap, so sections take 0-2 x TTL here and careful clients look
 *   at `lease.signal` before writing (their control does not).
 * - F10 on etcd: the hazard is a holder inside its section when the resumed leader's revocations delete
 *   its key and the next holder is granted. With 0-20 ms sections a holder is rarely inside one at that
 *   instant (one believed overlap in 36 leader pauses, measured on etcd 3.4.23), so neither the fence nor
 *   its control would be put to the test: sections take 0-200 ms here, as real work under a lock does.
 *   The holder cannot see the revocation before its next keepalive fails, so its check before writing
 *   is a matter of luck; clients skip it, and the cell measures what the fence alone keeps (with the
 *   check, the fencing-off control found nothing in 2 of 5 runs although holders overlapped).
 * - F3 and F4 (`live`): a waiter gives up after 4 x TTL, so a lock left stuck by a killed client shows as
 *   failed acquires (the never-expires control), while the correct client's lease frees it within a TTL.
 */
export function workloadFor(fault: Fault, backend: Backend, ttlMs: number): Workload {
  const acquireTimeoutMs = FAULTS[fault].live ? 4 * ttlMs : 60_000;
  if (fault === 'F1' || fault === 'F2')
    return { criticalSectionMs: 20, checkLeaseBeforeWrite: fault === 'F1', acquireTimeoutMs };
  if (fault === 'F5' || (backend === 'redis' && (fault === 'F8' || fault === 'F10')))
    return { criticalSectionMs: ttlMs, checkLeaseBeforeWrite: true, operations: 8, acquireTimeoutMs };
  if (fault === 'F10' && backend === 'etcd')
    return { criticalSectionMs: 100, checkLeaseBeforeWrite: false, acquireTimeoutMs };
  return { criticalSectionMs: 10, checkLeaseBeforeWrite: true, acquireTimeoutMs };
}

/** A fault schedule: applies `fault` every few seconds until stopped. Seeded, so a run can be replayed. */
export class Nemesis {
  private stopped = false;
  private loop: Promise<void> | undefined;
  /** Set when a fault waits for a holder's read: the next holder to finish a read is handed over. */
  private readArmed: ((proc: number | undefined) => void) | undefined;
  readonly injected: string[] = [];

  constructor(
    private readonly fault: Fault,
    private readonly topology: Topology,
    private readonly ttlMs: number,
    private readonly random: () => number,
    private readonly slots: number,
  ) {}

  start(control: PoolControl): void {
    if (this.fault === 'F0') return;
    this.loop = this.run(control).catch((error: unknown) => {
      this.injected.push(`nemesis failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // A fault still waiting for a holder's read gives up at once.
    const armed = this.readArmed;
    this.readArmed = undefined;
    armed?.(undefined);
    await this.loop;
  }

  /**
   * Sees every history event as the clients stream it. F1, F2, F5-F7 and F10 on Redis strike a holder right
   * after it read the resource and before it writes: a pause, a dead link or a stalled server there is the
   * hazard leases and fencing exist for, since the client writes after its grant may have expired.
   */
  onEvent(event: HistoryEvent, control: PoolControl): void {
    if (
      this.readArmed === undefined ||
      event.f !== 'read' ||
      event.type !== 'ok' ||
      typeof event.proc !== 'number'
    )
      return;
    if (!control.holders().includes(event.proc)) return;
    const armed = this.readArmed;
    const proc = event.proc;
    this.readArmed = undefined;
    // A few ms later the client is inside its read-to-write sleep with its write timer armed.
    setTimeout(() => {
      if (!this.stopped && control.holders().includes(proc)) armed(proc);
      else this.readArmed = armed;
    }, 3);
  }

  private async run(control: PoolControl): Promise<void> {
    await this.sleep(500 + this.random() * 1_000);
    while (!this.stopped) {
      // Recorded when the fault starts too: a run may end while a fault is still going on.
      control.recordFault({ fault: this.fault, phase: 'start' });
      const description = await this.once(control);
      if (description !== undefined) {
        this.injected.push(description);
        control.recordFault({ fault: this.fault, phase: 'end', description });
      }
      await this.sleep(1_500 + this.random() * 2_000);
    }
  }

  /** The next holder that finishes a read within 5 s, if any. */
  private afterRead(): Promise<number | undefined> {
    return new Promise<number | undefined>((resolve) => {
      this.readArmed = resolve;
      setTimeout(() => {
        if (this.readArmed === resolve) this.readArmed = undefined;
        resolve(undefined);
      }, 5_000);
    });
  }

  private async pauseAfterRead(control: PoolControl, pausedMs: number): Promise<string | undefined> {
    const holder = await this.afterRead();
    if (holder === undefined || this.stopped) return undefined;
    if (!control.pause(holder)) return undefined;
    await sleep(pausedMs);
    control.resume(holder);
    return `paused holder ${holder} after its read for ${pausedMs} ms`;
  }

  private async once(control: PoolControl): Promise<string | undefined> {
    switch (this.fault) {
      case 'F1':
        return this.pauseAfterRead(control, Math.round(this.ttlMs * 0.4));
      case 'F2':
        return this.pauseAfterRead(control, Math.round(this.ttlMs * 2.5));
      case 'F3': {
        const holder = await this.pick(() => control.holders());
        if (holder === undefined) return undefined;
        if (!control.kill(holder)) return undefined;
        await this.recovered(control);
        return `killed holder ${holder}`;
      }
      case 'F4': {
        const waiter = await this.pick(() => control.waiters());
        if (waiter === undefined) return undefined;
        if (!control.kill(waiter)) return undefined;
        await this.recovered(control);
        return `killed queued waiter ${waiter}`;
      }
      case 'F5': {
        const holder = await this.afterRead();
        if (holder === undefined || this.stopped) return undefined;
        const ms = Math.round(this.ttlMs * 2.5);
        return `holder ${holder}: ${await this.topology.blackhole(holder % this.slots, ms)}`;
      }
      case 'F6': {
        const holder = await this.afterRead();
        if (holder === undefined || this.stopped) return undefined;
        return `holder ${holder}: ${await this.topology.resetLink(holder % this.slots)}`;
      }
      case 'F7': {
        const holder = await this.afterRead();
        if (holder === undefined || this.stopped) return undefined;
        const delayMs = Math.round(this.ttlMs * (0.25 + 0.5 * this.random()));
        const forMs = Math.round(this.ttlMs * 2.5);
        return `holder ${holder}: ${await this.topology.delayReplies(holder % this.slots, delayMs, forMs)}`;
      }
      case 'F13': {
        // The grant the waiter is blocked for may be applied while its reply is dropped.
        const waiter = await this.pick(() => control.waiters());
        if (waiter === undefined) return undefined;
        const ms = Math.round(this.ttlMs * 1.5);
        const what = await this.topology.dropReplies(waiter % this.slots, ms);
        await this.recovered(control);
        return `waiter ${waiter}: ${what}`;
      }
      case 'F8':
        // The lock vanishes with the server at once; a quick restart grants the next holder while the
        // last one is still inside its section.
        return this.topology.crashAndRestart(Math.round(this.ttlMs * 0.25));
      case 'F9':
        return this.topology.crashAndRestart(Math.round(this.ttlMs * 1.5));
      case 'F10': {
        if (this.topology.backend !== 'redis') return this.topology.pauseLeader(Math.round(this.ttlMs * 2.5));
        // Long enough for the holder's key to expire, shorter than its section: it works on after the resume.
        const holder = await this.afterRead();
        if (holder === undefined || this.stopped) return undefined;
        return `after holder ${holder} read: ${await this.topology.pauseLeader(Math.round(this.ttlMs * 1.25))}`;
      }
      default:
        return undefined;
    }
  }

  /**
   * Waits (up to 4 x TTL) until a client holds the lock again, so kills do not pile up faster than the
   * lock recovers from them: every waiter's timeout then measures the recovery from one kill.
   */
  private async recovered(control: PoolControl): Promise<void> {
    const until = performance.now() + 4 * this.ttlMs;
    while (!this.stopped && performance.now() < until && control.holders().length === 0) await sleep(20);
  }

  /** A client from `candidates()`, waiting briefly for one. */
  private async pick(candidates: () => number[]): Promise<number | undefined> {
    for (let attempt = 0; attempt < 200 && !this.stopped; attempt++) {
      const procs = candidates();
      if (procs.length > 0) return procs[Math.floor(this.random() * procs.length)];
      await sleep(5);
    }
    return undefined;
  }

  private async sleep(ms: number): Promise<void> {
    const until = performance.now() + ms;
    while (!this.stopped && performance.now() < until) await sleep(Math.min(100, until - performance.now()));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
