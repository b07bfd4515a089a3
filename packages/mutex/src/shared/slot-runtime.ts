import { LockBackendError, ProviderClosedError, UnsupportedCapabilityError } from '@lock/core';
import { WaiterList } from '../waiter-list.js';
import { keepThreadAlive } from './keep-alive.js';
import type { LocalWaiter } from './local-waiter.js';
import { Phase, phaseHook } from './phase-hook.js';
import { MOVED, SharedGrant } from './shared-grant.js';
import { DIED, GEN, NEXT, OWNER, PERMITS, SELF, type SharedTable } from './shared-table.js';
import { Shares } from './shares.js';
import { EXCLUSIVE, modeMismatch, permitSlack, type SlotMode } from './slot-mode.js';
import { SLEEPING, WHO_MASK } from './ticket-cell.js';
import { TicketQueue } from './ticket-queue.js';
import { waitAsync } from './wait-async.js';

// Weak, so a table nobody in this thread references any more (every standalone SharedMutex makes one) is not
// pinned for the thread's life. Handles, leases (through their grant) and a waiting loop (through its pending
// Atomics.waitAsync) hold a runtime strongly, so a runtime with a holder, a waiter or a ticket is never dropped.
const runtimes = new Map<string, WeakRef<SlotRuntime>>();
const collected = new FinalizationRegistry<string>((key) => {
  if (runtimes.get(key)?.deref() === undefined) runtimes.delete(key);
});

/** Number of slot runtimes this thread tracks (live or not yet collected); for leak tests. @internal */
export function slotRuntimeCount(): number {
  return runtimes.size;
}

/**
 * This thread's view of one slot: the thread-local FIFO of waiters and the one ticket the thread holds in
 * the slot's global ticket queue. Every handle of the same slot in this thread shares it (keyed by the
 * table's id), so a thread never has more than one waiting ticket per slot: that is what bounds the ring.
 * Order is FIFO within the thread and ticket order between threads; a releasing thread with local
 * waiters takes a new ticket behind everyone already queued, so it cannot starve other threads.
 *
 * Read-write locks and semaphores use the same queue: a shared grant (reader, permit) is admitted when its
 * ticket reaches the head and the slot allows it, is counted in this thread's share entry, and passes the
 * ticket on at once, so readers queued one after another are all admitted; an exclusive grant (a writer)
 * keeps the head ticket while it holds, and first waits there until the shared holders have left. So grants
 * follow arrival order across modes, and a waiting writer holds back every reader that comes after it.
 * @internal
 */
export class SlotRuntime {
  readonly table: SharedTable;
  private readonly queue: TicketQueue;
  private readonly words: Int32Array;
  private readonly fence: BigInt64Array;
  private readonly base: number;
  private readonly fenceIndex: number;
  /** Our waiting ticket in the global queue, if any. */
  private ticket: number | undefined = undefined;
  private holder: SharedGrant | undefined = undefined;
  private readonly shares: Shares;
  /** This thread's share entry in the slot while it holds shared grants (-1 otherwise), and how many. */
  private entry = -1;
  private sharesHeld = 0;
  /** True while the wait loop sleeps at the head of the queue for shared holders to leave. */
  private draining = false;
  /** This thread's waiters, in the order they are served when this thread's ticket comes up. */
  private readonly waiters = new WaiterList<LocalWaiter>();
  private looping = false;
  private keepAlive = false;

  private constructor(table: SharedTable, slot: number) {
    if (SELF > WHO_MASK) {
      throw new UnsupportedCapabilityError(
        'shared-mutex',
        `threadId ${SELF - 1}`,
        `ring cells record thread ids up to ${WHO_MASK - 1}`,
      );
    }
    this.table = table;
    this.queue = new TicketQueue(table, slot);
    this.words = table.words;
    this.fence = table.wide;
    this.base = table.base(slot);
    this.fenceIndex = table.fenceIndex(this.base);
    this.shares = new Shares(table, this.base);
  }

  /** The runtime of `slot` of `table` in this thread. */
  static of(table: SharedTable, slot: number): SlotRuntime {
    const key = `${table.id}/${slot}`;
    let runtime = runtimes.get(key)?.deref();
    if (runtime === undefined) {
      runtime = new SlotRuntime(table, slot);
      runtimes.set(key, new WeakRef(runtime));
      collected.register(runtime, key);
    }
    return runtime;
  }

  /** Every live runtime of `table` in this thread (whichever attachment of its buffer made them). */
  static *ofTable(table: SharedTable): Generator<SlotRuntime> {
    for (const reference of runtimes.values()) {
      const runtime = reference.deref();
      if (runtime?.table.id === table.id) yield runtime;
    }
  }

  /** Local waiters of this thread. */
  get waiting(): number {
    return this.waiters.size;
  }

  /** True when any thread holds the lock, exclusive or shared (a snapshot). */
  get locked(): boolean {
    return Atomics.load(this.words, this.base + OWNER) !== 0 || this.shares.held() !== 0;
  }

  /** The slot's generation now. */
  get generation(): number {
    return Atomics.load(this.words, this.base + GEN);
  }

  /** What the slot's name is now: 0 a mutex, -1 a read-write lock, N a semaphore (0 also when not yet known). */
  get permits(): number {
    return Atomics.load(this.words, this.base + PERMITS);
  }

  /**
   * Takes the lock now, in `mode`, if nobody waits for it and the slot allows; never waits. {@link MOVED}
   * when the slot no longer serves the name found at `generation`; throws when the name is of another kind.
   */
  tryGrant(generation: number, mode: SlotMode, name: string): SharedGrant | null | typeof MOVED {
    if (this.holder !== undefined || this.waiters.head !== undefined) return null;
    let ticket = this.ticket;
    if (ticket !== undefined) {
      // Our parked ticket (its waiters gave up) may be the one being served: use it.
      if (this.queue.serving() !== ticket) return null;
      this.ticket = undefined;
      if (this.draining) this.shares.wake(); // the wait loop sleeping on it finds it gone
    } else {
      ticket = this.queue.claimFree();
      if (ticket === undefined) return null;
      if (phaseHook !== undefined) phaseHook(Phase.TICKET_TAKEN);
    }
    if (this.generation !== generation) {
      this.queue.pass(ticket);
      return MOVED;
    }
    if (mode === EXCLUSIVE) {
      // The one load the mutex pays for the other kinds: a name that is a read-write lock or a semaphore.
      if (Atomics.load(this.words, this.base + PERMITS) !== 0) {
        const found = this.claimKind(mode);
        if (found !== undefined) {
          this.queue.pass(ticket);
          throw modeMismatch(name, mode, found);
        }
      }
      return this.becomeHolder(ticket);
    }
    return this.tryAtHead(ticket, mode, name);
  }

  /** tryGrant in a read-write or semaphore mode, holding the head ticket. */
  private tryAtHead(ticket: number, mode: SlotMode, name: string): SharedGrant | null {
    const found = this.claimKind(mode);
    if (found !== undefined) {
      this.queue.pass(ticket);
      throw modeMismatch(name, mode, found);
    }
    if (!this.admits(mode)) {
      this.queue.pass(ticket);
      return null;
    }
    if (!mode.shared) return this.becomeHolder(ticket);
    try {
      return this.admitShared(name);
    } finally {
      this.queue.pass(ticket);
    }
  }

  /**
   * At the head of the queue: makes the slot's kind `mode`'s if it has none yet, or if nobody else holds or
   * waits (so a name's kind and permits are whatever its current holders and waiters use); returns the kind
   * it has if that is another and in use (the caller refuses), undefined when it matches.
   */
  private claimKind(mode: SlotMode): number | undefined {
    const words = this.words;
    const index = this.base + PERMITS;
    const found = Atomics.load(words, index);
    if (found === mode.permits) return undefined;
    // Only the head of the queue writes PERMITS; no grant of any kind holds while it is 0, and none of
    // another kind holds or waits while nothing is counted and nobody has a ticket behind ours.
    if (found !== 0) {
      const serving = this.queue.serving();
      const alone = Atomics.load(words, this.base + NEXT) === ((serving + 1) | 0);
      if (!alone || this.shares.held() !== 0) return found;
    }
    Atomics.store(words, index, mode.permits);
    return undefined;
  }

  /** At the head of the queue: whether a grant in `mode` may be given now. */
  private admits(mode: SlotMode): boolean {
    // A mutex or a reader: always (a writer that holds keeps the head ticket, so none holds now).
    if (mode.limit === Infinity) return true;
    // A writer once no reader holds; a permit while fewer than `permits` are taken.
    return mode.limit === 0 ? this.shares.held() === 0 : this.shares.held() < mode.limit + permitSlack;
  }

  /** Counts a shared grant of this thread, at the head of the queue (whose ticket the caller passes on). */
  private admitShared(name: string | undefined): SharedGrant {
    const entry = this.shares.add(this.entry);
    if (entry < 0) {
      throw new LockBackendError('shared-mutex', 'acquire', {
        lockName: name,
        detail: `more than ${this.table.ring} threads hold shares of one lock at once (raise maxThreads)`,
      });
    }
    this.entry = entry;
    this.sharesHeld++;
    if (phaseHook !== undefined) phaseHook(Phase.SHARE_COUNTED);
    const token = Atomics.add(this.fence, this.fenceIndex, 1n) + 1n;
    return new SharedGrant(token, 0, this, false, true);
  }

  /** Queues `waiter` (taking the lock at once when it is free); see {@link LocalWaiter}. */
  enqueue(waiter: LocalWaiter, signal: AbortSignal | undefined): void {
    if (signal?.aborted) {
      waiter.reject(signal.reason);
      return;
    }
    if (signal === undefined) this.waiters.push(waiter);
    else {
      this.waiters.push(waiter, signal, () => {
        this.waiters.unlink(waiter);
        // The ticket stays ours (parked) and is passed on as soon as it is served: no ghost holder.
        if (this.waiters.head === undefined) this.stopKeepingAlive();
        // At the head, waiting for shared holders to leave: the wait loop looks again at who is left.
        if (this.draining) this.shares.wake();
        waiter.reject(signal.reason);
      });
    }
    this.startKeepingAlive();
    if (this.holder === undefined && this.ticket === undefined) this.takeTicket();
    this.serveIfOurTurn();
  }

  /** Releases `grant` if it is still the holder; hands the lock on in ticket order. */
  release(grant: SharedGrant): boolean {
    if (grant.shared) return this.releaseShared(grant);
    if (this.holder !== grant) return false;
    this.holder = undefined;
    Atomics.store(this.words, this.base + OWNER, 0);
    if (phaseHook !== undefined) phaseHook(Phase.OWNER_CLEARED);
    // Local waiters queue behind every thread already waiting: fair between threads.
    if (this.waiters.head !== undefined && this.ticket === undefined) this.takeTicket();
    this.queue.pass(grant.ticket);
    this.serveIfOurTurn();
    return true;
  }

  /** Gives back a reader's or a permit's share; the head of the queue, if it waits for one, is told. */
  private releaseShared(grant: SharedGrant): boolean {
    if (!grant.active) return false;
    grant.active = false;
    const entry = this.entry;
    if (--this.sharesHeld === 0) this.entry = -1;
    this.shares.remove(entry);
    return true;
  }

  /** Rejects the local waiters queued with `tag` (a closing provider), naming each one's lock. */
  rejectTagged(tag: object, backend: string): void {
    for (let waiter = this.waiters.head; waiter !== undefined; ) {
      const next = waiter.next;
      if (waiter.tag === tag) {
        this.waiters.detach(waiter);
        waiter.reject(new ProviderClosedError(backend, 'acquire', waiter.name));
      }
      waiter = next;
    }
    if (this.waiters.head === undefined) this.stopKeepingAlive();
    if (this.draining) this.shares.wake();
  }

  private takeTicket(): void {
    const ticket = this.queue.take();
    if (ticket === undefined) {
      const detail = `more than ${this.table.ring} threads queued for one lock (raise maxThreads)`;
      for (let waiter = this.waiters.head; waiter !== undefined; waiter = this.waiters.head) {
        this.waiters.detach(waiter);
        waiter.reject(new LockBackendError('shared-mutex', 'acquire', { lockName: waiter.name, detail }));
      }
      this.stopKeepingAlive();
      return;
    }
    if (phaseHook !== undefined) phaseHook(Phase.TICKET_TAKEN);
    this.ticket = ticket;
  }

  private becomeHolder(ticket: number): SharedGrant {
    const words = this.words;
    const base = this.base;
    // OWNER first: from here on a death of this thread counts as "died holding".
    Atomics.store(words, base + OWNER, SELF);
    if (phaseHook !== undefined) phaseHook(Phase.OWNER_RECORDED);
    const died = Atomics.load(words, base + DIED) !== 0 && Atomics.exchange(words, base + DIED, 0) === 1;
    const token = Atomics.add(this.fence, this.fenceIndex, 1n) + 1n;
    const grant = new SharedGrant(token, ticket, this, died);
    this.holder = grant;
    return grant;
  }

  /** Grants our ticket if it is being served now; otherwise makes sure the wait loop runs. */
  private serveIfOurTurn(): void {
    const ticket = this.ticket;
    if (ticket === undefined) return;
    if (this.queue.serving() === ticket) {
      if (!this.served(ticket) || this.looping) return;
    } else if (this.looping) return;
    void this.waitLoop();
  }

  /**
   * Our ticket is at the head of the queue: grants it to this thread's waiters in order, as far as the slot
   * allows (one exclusive grant, which keeps the ticket; or shared grants one after another, after which
   * the ticket is passed on). True when the first waiter left must wait here, keeping the head, until shared
   * holders leave (a writer behind readers, a permit when all are taken).
   */
  private served(ticket: number): boolean {
    const generation = this.generation;
    // Waiters whose handle found its name before the slot was renamed look for it again, once this
    // ticket is dealt with (their new place may be this very slot).
    let moved: LocalWaiter[] | undefined;
    let blocked = false;
    let kept = false;
    for (let waiter = this.waiters.head; waiter !== undefined; waiter = this.waiters.head) {
      if (waiter.generation !== generation) {
        this.waiters.detach(waiter);
        (moved ??= []).push(waiter);
        continue;
      }
      const mode = waiter.mode;
      const found = this.claimKind(mode);
      if (found !== undefined) {
        this.waiters.detach(waiter);
        waiter.reject(modeMismatch(waiter.name ?? 'shared-mutex', mode, found));
        continue;
      }
      if (!this.admits(mode)) {
        blocked = true;
        break;
      }
      this.waiters.detach(waiter);
      if (!mode.shared) {
        this.ticket = undefined;
        kept = true;
        waiter.resolve(this.becomeHolder(ticket));
        break;
      }
      let grant: SharedGrant;
      try {
        grant = this.admitShared(waiter.name);
      } catch (error) {
        waiter.reject(error);
        continue;
      }
      waiter.resolve(grant);
    }
    if (!blocked) {
      // DRAINING belongs to the head: lowered by the head itself, before the ticket can pass to another
      // thread (which may raise it at once), and left up only while this head goes on waiting.
      this.shares.setDraining(false);
      if (!kept) {
        // Everyone who wanted this ticket was served shared, gave up or moved: pass it on at once.
        this.ticket = undefined;
        this.queue.pass(ticket);
      }
    }
    if (this.waiters.head === undefined) this.stopKeepingAlive();
    if (moved !== undefined) for (const each of moved) relocate(each);
    return blocked;
  }

  private async waitLoop(): Promise<void> {
    this.looping = true;
    const words = this.words;
    const queue = this.queue;
    try {
      for (let ticket = this.ticket; ticket !== undefined; ticket = this.ticket) {
        if (queue.serving() === ticket) {
          if (!this.served(ticket)) continue;
          await this.drain(ticket);
          continue;
        }
        // Flag our cell before sleeping on it: whoever makes our ticket the served one clears the flag and
        // notifies the cell, and waitAsync re-checks the value atomically, so the wake-up is never missed.
        const index = queue.cellIndex(ticket);
        const mine = queue.mine(ticket);
        const flagged = mine | SLEEPING;
        if (Atomics.compareExchange(words, index, mine, flagged) !== mine) {
          // Only this thread changes its claimed cell while it lives: the ticket is not ours any more.
          this.ticket = undefined;
          this.failWaiters('its ticket in the shared queue was given up for it');
          return;
        }
        if (phaseHook !== undefined) phaseHook(Phase.WAIT_FLAGGED);
        if (queue.serving() === ticket) {
          Atomics.compareExchange(words, index, flagged, mine);
          continue;
        }
        const result = waitAsync(words, index, flagged);
        if (result.async) await result.value;
        Atomics.compareExchange(words, index, flagged, mine); // a spurious wake leaves the flag up
      }
    } finally {
      this.looping = false;
    }
  }

  /**
   * At the head with `ticket`, blocked by shared holders: sleeps until one leaves (or this thread's waiters
   * change). DRAINING is raised and RELEASES read before the last look, and every release bumps RELEASES
   * before it looks at DRAINING, so a release is either seen by that look or wakes the sleep.
   */
  private async drain(ticket: number): Promise<void> {
    const shares = this.shares;
    shares.setDraining(true);
    if (phaseHook !== undefined) phaseHook(Phase.DRAIN_FLAGGED);
    const seen = Atomics.load(this.words, shares.releasesIndex);
    if (!this.served(ticket)) return;
    this.draining = true;
    const result = waitAsync(this.words, shares.releasesIndex, seen);
    if (result.async) await result.value;
    this.draining = false;
  }

  private failWaiters(detail: string): void {
    for (let waiter = this.waiters.head; waiter !== undefined; waiter = this.waiters.head) {
      this.waiters.detach(waiter);
      waiter.reject(new LockBackendError('shared-mutex', 'acquire', { lockName: waiter.name, detail }));
    }
    this.stopKeepingAlive();
  }

  // A pending Atomics.waitAsync does not keep a Node thread alive; a ref'd timer does, while someone waits.
  private startKeepingAlive(): void {
    if (this.keepAlive) return;
    this.keepAlive = true;
    keepThreadAlive(1);
  }

  private stopKeepingAlive(): void {
    if (!this.keepAlive) return;
    this.keepAlive = false;
    keepThreadAlive(-1);
  }
}

function relocate(waiter: LocalWaiter): void {
  if (waiter.relocate !== undefined) {
    waiter.relocate(waiter);
    return;
  }
  waiter.reject(
    new LockBackendError('shared-mutex', 'acquire', {
      lockName: waiter.name,
      detail: 'the slot this handle was opened on now serves another name',
    }),
  );
}
