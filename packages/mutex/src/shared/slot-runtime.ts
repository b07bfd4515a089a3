import { LockBackendError, ProviderClosedError, UnsupportedCapabilityError } from '@lock/core';
import { WaiterList } from '../waiter-list.js';
import { keepThreadAlive } from './keep-alive.js';
import type { LocalWaiter } from './local-waiter.js';
import { Phase, phaseHook } from './phase-hook.js';
import { MOVED, SharedGrant } from './shared-grant.js';
import { DIED, GEN, OWNER, SELF, type SharedTable } from './shared-table.js';
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

  /** True when any thread holds the lock (a snapshot). */
  get locked(): boolean {
    return Atomics.load(this.words, this.base + OWNER) !== 0;
  }

  /** The slot's generation now. */
  get generation(): number {
    return Atomics.load(this.words, this.base + GEN);
  }

  /**
   * Takes the lock now if nobody holds it or waits for it; never waits. {@link MOVED} when the slot no
   * longer serves the name found at `generation`.
   */
  tryGrant(generation: number): SharedGrant | null | typeof MOVED {
    if (this.holder !== undefined || this.waiters.head !== undefined) return null;
    let ticket = this.ticket;
    if (ticket !== undefined) {
      // Our parked ticket (its waiters gave up) may be the one being served: use it.
      if (this.queue.serving() !== ticket) return null;
      this.ticket = undefined;
    } else {
      ticket = this.queue.claimFree();
      if (ticket === undefined) return null;
      if (phaseHook !== undefined) phaseHook(Phase.TICKET_TAKEN);
    }
    if (this.generation !== generation) {
      this.queue.pass(ticket);
      return MOVED;
    }
    return this.becomeHolder(ticket);
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
        waiter.reject(signal.reason);
      });
    }
    this.startKeepingAlive();
    if (this.holder === undefined && this.ticket === undefined) this.takeTicket();
    this.serveIfOurTurn();
  }

  /** Releases `grant` if it is still the holder; hands the lock on in ticket order. */
  release(grant: SharedGrant): boolean {
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
      this.served(ticket);
      return;
    }
    if (!this.looping) void this.waitLoop();
  }

  private served(ticket: number): void {
    this.ticket = undefined;
    const generation = this.generation;
    let waiter = this.waiters.head;
    // Waiters whose handle found its name before the slot was renamed look for it again, once this
    // ticket is dealt with (their new place may be this very slot).
    let moved: LocalWaiter[] | undefined;
    while (waiter !== undefined && waiter.generation !== generation) {
      this.waiters.detach(waiter);
      (moved ??= []).push(waiter);
      waiter = this.waiters.head;
    }
    if (waiter === undefined) {
      // Everyone who wanted this ticket gave up (or moved): pass it on at once.
      this.queue.pass(ticket);
      if (this.waiters.head === undefined) this.stopKeepingAlive();
    } else {
      this.waiters.detach(waiter);
      const grant = this.becomeHolder(ticket);
      if (this.waiters.head === undefined) this.stopKeepingAlive();
      waiter.resolve(grant);
    }
    if (moved !== undefined) for (const each of moved) relocate(each);
  }

  private async waitLoop(): Promise<void> {
    this.looping = true;
    const words = this.words;
    const queue = this.queue;
    try {
      for (let ticket = this.ticket; ticket !== undefined; ticket = this.ticket) {
        if (queue.serving() === ticket) {
          this.served(ticket);
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
