import type { ClientRunControl, HistoryEvent } from '@lock/testkit';
import { revokesLiveLeasesAfterLeaderPause } from './etcd-server-version.js';
import type { Backend, Topology } from './topology.js';

/** The faults this runner injects (the numbering of the fault matrix in the README). */
export type Fault = 'F0' | 'F2' | 'F3' | 'F8' | 'F9' | 'F10';

/**
 * What a cell must show:
 * - `SAFE`: no violation at all, believed overlaps included;
 * - `FENCED`: overlaps may happen (a paused or cut-off holder cannot know at once), and tokens may regress
 *   where the backend documents it (a Redis restart without persistence resets the fence counter), but the
 *   fence keeps stale writes accepted and lost updates at 0;
 * - `RED`: a mutant; it must find violations, or the green results of the same run mean nothing.
 */
export type Expectation = 'SAFE' | 'FENCED' | 'RED';

/**
 * Each fault, the backends it applies to, and what each must show there on a server without known bugs.
 * A leader kill or pause is SAFE on consensus backends (no overlap at all); pauses of a holder, and the
 * loss of a single Redis server, can only be FENCED. {@link expectationFor} adjusts a cell for the server
 * actually running.
 */
export const FAULTS: Record<Fault, { title: string; expect: Partial<Record<Backend, Expectation>> }> = {
  F0: { title: 'contention only', expect: { redis: 'SAFE', etcd: 'SAFE', zk: 'SAFE' } },
  F2: { title: 'holder paused 2.5 x TTL', expect: { redis: 'FENCED', etcd: 'FENCED', zk: 'FENCED' } },
  F3: { title: 'holder kill -9', expect: { redis: 'SAFE', etcd: 'SAFE', zk: 'SAFE' } },
  F8: { title: 'server crash + restart, no persistence', expect: { redis: 'FENCED' } },
  F9: { title: 'leader kill -9 + restart', expect: { etcd: 'SAFE', zk: 'SAFE' } },
  F10: {
    title: 'leader / server SIGSTOP past the TTL',
    expect: { redis: 'FENCED', etcd: 'SAFE', zk: 'SAFE' },
  },
};

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
}

/**
 * The workload of a cell.
 * - F2 pauses a holder inside its read-to-write sleep; a longer sleep makes the window easy to hit. Its
 *   clients skip the lease check before writing, as if the pause had landed just after that check (a GC
 *   pause can): `lease.signal` reads the safe deadline whenever it is looked at, so a check made after the
 *   pause always sees the loss and the fence would have nothing to stop.
 * - F10 on etcd: the hazard is a holder inside its section when the resumed leader's revocations delete
 *   its key and the next holder is granted. With 0-20 ms sections a holder is rarely inside one at that
 *   instant (one believed overlap in 36 leader pauses, measured on etcd 3.4.23), so neither the fence nor
 *   its mutant would be put to the test: sections take 0-200 ms here, as real work under a lock does.
 *   The holder cannot see the revocation before its next keepalive fails, so its check before writing
 *   is a matter of luck; clients skip it, and the cell measures what the fence alone keeps (with the
 *   check, the fencing-off mutant found nothing in 2 of 5 runs although holders overlapped).
 */
export function workloadFor(fault: Fault, backend: Backend): Workload {
  if (fault === 'F2') return { criticalSectionMs: 20, checkLeaseBeforeWrite: false };
  if (fault === 'F10' && backend === 'etcd') return { criticalSectionMs: 100, checkLeaseBeforeWrite: false };
  return { criticalSectionMs: 10, checkLeaseBeforeWrite: true };
}

/**
 * The broken variant that must turn a cell red: without a lock for SAFE cells (lost updates), with the
 * fence off for FENCED cells (the stale writes the fence rejected are accepted).
 */
export function mutantFor(expectation: Expectation): 'no-lock' | 'fencing-off' {
  return expectation === 'SAFE' ? 'no-lock' : 'fencing-off';
}

/** A fault schedule: applies `fault` every few seconds until stopped. Seeded, so a run can be replayed. */
export class Nemesis {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private kills = 0;
  /** Set by F2 when a pause is due: the next client to finish a read while holding is paused. */
  private pauseArmed: ((proc: number) => void) | undefined;
  readonly injected: string[] = [];

  constructor(
    private readonly fault: Fault,
    private readonly topology: Topology,
    private readonly ttlMs: number,
    private readonly random: () => number,
    private readonly clients: number,
  ) {}

  start(control: ClientRunControl): void {
    if (this.fault === 'F0') return;
    this.loop = this.run(control).catch((error: unknown) => {
      this.injected.push(`nemesis failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.pauseArmed = undefined;
    await this.loop;
  }

  /**
   * Sees every history event as the clients stream it. F2 pauses a holder right after it read the
   * resource and before it writes: a GC pause or a SIGSTOP there is the hazard fencing exists for, since
   * the client writes on resuming with the token of a grant that has expired meanwhile (F2's clients do
   * not check the lease first, see {@link workloadFor}).
   */
  onEvent(event: HistoryEvent, control: ClientRunControl): void {
    if (
      this.pauseArmed === undefined ||
      event.f !== 'read' ||
      event.type !== 'ok' ||
      typeof event.proc !== 'number'
    )
      return;
    if (!control.holders().includes(event.proc)) return;
    const paused = this.pauseArmed;
    const proc = event.proc;
    this.pauseArmed = undefined;
    // A few ms later the client is inside its read-to-write sleep with its write timer armed: on resume the
    // write goes out at once.
    setTimeout(() => {
      if (!this.stopped && control.holders().includes(proc)) {
        control.pause(proc);
        paused(proc);
      } else {
        this.pauseArmed = paused;
      }
    }, 3);
  }

  private async run(control: ClientRunControl): Promise<void> {
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

  private async once(control: ClientRunControl): Promise<string | undefined> {
    switch (this.fault) {
      case 'F2': {
        const pausedMs = Math.round(this.ttlMs * 2.5);
        const holder = await new Promise<number | undefined>((resolve) => {
          this.pauseArmed = resolve;
          setTimeout(() => {
            if (this.pauseArmed === resolve) {
              this.pauseArmed = undefined;
              resolve(undefined);
            }
          }, 5_000);
        });
        if (holder === undefined) return undefined;
        await sleep(pausedMs);
        control.resume(holder);
        return `paused holder ${holder} after its read for ${pausedMs} ms`;
      }
      case 'F3': {
        if (this.kills >= this.clients - 2) return undefined;
        const holder = await this.aHolder(control);
        if (holder === undefined) return undefined;
        this.kills += 1;
        control.kill(holder);
        return `killed holder ${holder}`;
      }
      case 'F8':
      case 'F9':
        return this.topology.crashAndRestart(Math.round(this.ttlMs * 1.5));
      case 'F10':
        return this.topology.pauseLeader(Math.round(this.ttlMs * 2.5));
      default:
        return undefined;
    }
  }

  /** A client that currently believes it holds the lock, waiting briefly for one. */
  private async aHolder(control: ClientRunControl): Promise<number | undefined> {
    for (let attempt = 0; attempt < 200 && !this.stopped; attempt++) {
      const holders = control.holders();
      if (holders.length > 0) return holders[Math.floor(this.random() * holders.length)];
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
