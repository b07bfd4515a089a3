import { type Grant, LockBackendError, ProviderClosedError } from '@lock/core';
import {
  ABANDONED,
  DIED,
  NEXT,
  OUTSTANDING,
  OWNER,
  RING_START,
  SELF,
  SERVING,
  type SharedTable,
  WAITERS,
} from './shared-table.js';

/** One grant of a shared mutex. @internal */
export class SharedGrant implements Grant {
  constructor(
    readonly token: bigint,
    readonly ticket: number,
    readonly runtime: SlotRuntime,
    /** True when the previous holder's thread died while holding the lock (the lock was recovered). */
    readonly previousOwnerDied: boolean,
  ) {}
}

/** A local waiter: a node of this thread's FIFO for one slot. @internal */
class LocalWaiter {
  prev: LocalWaiter | undefined = undefined;
  next: LocalWaiter | undefined = undefined;
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  constructor(
    readonly resolve: (grant: SharedGrant) => void,
    readonly reject: (reason: unknown) => void,
    readonly tag: object | undefined,
    readonly name: string | undefined,
  ) {}
}

const KEEP_ALIVE_MS = 2 ** 30;
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
 * table's id), so a thread never has more than one outstanding ticket per slot: that is what bounds the
 * ring. Order is FIFO within the thread and ticket order between threads; a releasing thread with local
 * waiters takes a new ticket behind everyone already queued, so it cannot starve other threads.
 * @internal
 */
export class SlotRuntime {
  private readonly words: Int32Array;
  private readonly fence: BigInt64Array;
  private readonly base: number;
  private readonly fenceIndex: number;
  private readonly table: SharedTable;
  private readonly ringMask: number;
  /** Our outstanding ticket in the global queue, if any. */
  private ticket: number | undefined = undefined;
  private holder: SharedGrant | undefined = undefined;
  private head: LocalWaiter | undefined = undefined;
  private tail: LocalWaiter | undefined = undefined;
  private waitingCount = 0;
  private looping = false;
  private keepAlive = false;

  private constructor(table: SharedTable, slot: number) {
    this.table = table;
    this.words = table.words;
    this.fence = table.wide;
    this.base = table.base(slot);
    this.fenceIndex = table.fenceIndex(this.base);
    this.ringMask = table.ring - 1;
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

  /** Local waiters of this thread. */
  get waiting(): number {
    return this.waitingCount;
  }

  /** True when any thread holds the lock (a snapshot). */
  get locked(): boolean {
    return Atomics.load(this.words, this.base + OWNER) !== 0;
  }

  /** Takes the lock now if nobody holds it or waits for it; never waits. */
  tryGrant(): SharedGrant | null {
    if (this.holder !== undefined || this.head !== undefined) return null;
    const words = this.words;
    const base = this.base;
    if (this.ticket !== undefined) {
      // Our parked ticket (its waiters gave up) may be the one being served: use it.
      if (Atomics.load(words, base + SERVING) !== this.ticket) return null;
      const ticket = this.ticket;
      this.ticket = undefined;
      return this.becomeHolder(ticket);
    }
    const serving = Atomics.load(words, base + SERVING);
    if (Atomics.compareExchange(words, base + NEXT, serving, (serving + 1) | 0) !== serving) return null;
    // No call between taking a ticket and recording its owner: a terminated thread stops only at calls and
    // loop back-edges, and an unrecorded ticket could not be recovered.
    Atomics.store(words, base + RING_START + (serving & this.ringMask), SELF);
    Atomics.add(words, base + OUTSTANDING, 1);
    return this.becomeHolder(serving);
  }

  /** Takes the lock or queues for it; `name` is the asking handle's lock name (named in errors). */
  grant(
    signal: AbortSignal | undefined,
    tag: object | undefined,
    name?: string,
  ): SharedGrant | Promise<SharedGrant> {
    const now = this.tryGrant();
    if (now !== null) return now;
    return new Promise<SharedGrant>((resolve, reject) => {
      const waiter = new LocalWaiter(resolve, reject, tag, name);
      this.push(waiter);
      if (signal !== undefined) {
        waiter.signal = signal;
        waiter.onAbort = () => {
          this.unlink(waiter);
          waiter.signal = undefined;
          waiter.onAbort = undefined;
          // The ticket stays ours (parked) and is passed on as soon as it is served: no ghost holder.
          if (this.head === undefined) this.stopKeepingAlive();
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.startKeepingAlive();
      if (this.holder === undefined && this.ticket === undefined) this.takeTicket();
      this.serveIfOurTurn();
    });
  }

  /** Releases `grant` if it is still the holder; hands the lock on in ticket order. */
  release(grant: SharedGrant): boolean {
    if (this.holder !== grant) return false;
    this.holder = undefined;
    Atomics.store(this.words, this.base + OWNER, 0);
    // Local waiters queue behind every thread already waiting: fair between threads.
    if (this.head !== undefined && this.ticket === undefined) this.takeTicket();
    this.pass(grant.ticket, SELF);
    this.serveIfOurTurn();
    return true;
  }

  /** Rejects the local waiters queued with `tag` (a closing provider), naming each one's lock. */
  rejectTagged(tag: object, backend: string): void {
    for (let waiter = this.head; waiter !== undefined; ) {
      const next = waiter.next;
      if (waiter.tag === tag) {
        this.detach(waiter);
        waiter.reject(new ProviderClosedError(backend, 'acquire', waiter.name));
      }
      waiter = next;
    }
    if (this.head === undefined) this.stopKeepingAlive();
  }

  private takeTicket(): void {
    const words = this.words;
    const base = this.base;
    if (Atomics.add(words, base + OUTSTANDING, 1) >= this.table.ring) {
      Atomics.sub(words, base + OUTSTANDING, 1);
      const detail = `more than ${this.table.ring} threads queued for one lock (raise maxThreads)`;
      for (let waiter = this.head; waiter !== undefined; waiter = this.head) {
        this.detach(waiter);
        waiter.reject(new LockBackendError('shared-mutex', 'acquire', { lockName: waiter.name, detail }));
      }
      this.stopKeepingAlive();
      return;
    }
    const ticket = Atomics.add(words, base + NEXT, 1);
    Atomics.store(words, base + RING_START + (ticket & this.ringMask), SELF);
    this.ticket = ticket;
  }

  private becomeHolder(ticket: number): SharedGrant {
    const words = this.words;
    const base = this.base;
    // OWNER first: from here on a death of this thread counts as "died holding".
    Atomics.store(words, base + OWNER, SELF);
    const died = Atomics.exchange(words, base + DIED, 0) === 1;
    const token = Atomics.add(this.fence, this.fenceIndex, 1n) + 1n;
    const grant = new SharedGrant(token, ticket, this, died);
    this.holder = grant;
    return grant;
  }

  /** Grants our ticket if it is being served now; otherwise makes sure the wait loop runs. */
  private serveIfOurTurn(): void {
    const ticket = this.ticket;
    if (ticket === undefined) return;
    if (Atomics.load(this.words, this.base + SERVING) === ticket) {
      this.served(ticket);
      return;
    }
    if (!this.looping) void this.waitLoop();
  }

  private served(ticket: number): void {
    this.ticket = undefined;
    const waiter = this.head;
    if (waiter === undefined) {
      // Everyone who wanted this ticket gave up: pass it on at once.
      this.pass(ticket, SELF);
      return;
    }
    this.detach(waiter);
    const grant = this.becomeHolder(ticket);
    if (this.head === undefined) this.stopKeepingAlive();
    waiter.resolve(grant);
  }

  private async waitLoop(): Promise<void> {
    this.looping = true;
    const words = this.words;
    const servingIndex = this.base + SERVING;
    const waitersIndex = this.base + WAITERS;
    try {
      while (this.ticket !== undefined) {
        const serving = Atomics.load(words, servingIndex);
        if (serving === this.ticket) {
          this.served(serving);
          continue;
        }
        // Flag ourselves before sleeping: the releaser notifies only when the flag is up, and waitAsync
        // re-checks SERVING atomically, so a release between the load and the wait is never missed.
        Atomics.add(words, waitersIndex, 1);
        const result = waitAsync(words, servingIndex, serving);
        if (result.async) await result.value;
        Atomics.sub(words, waitersIndex, 1);
      }
    } finally {
      this.looping = false;
    }
  }

  /**
   * Passes ticket `ticket` (whose cell holds `cellValue`) on: SERVING moves from `ticket` to the next
   * ticket by compareExchange only, skipping tickets of threads that died while queued.
   */
  private pass(ticket: number, cellValue: number): void {
    passTicket(this.table, this.base, ticket, cellValue);
  }

  private push(waiter: LocalWaiter): void {
    waiter.prev = this.tail;
    if (this.tail === undefined) this.head = waiter;
    else this.tail.next = waiter;
    this.tail = waiter;
    this.waitingCount++;
  }

  private unlink(waiter: LocalWaiter): void {
    if (waiter.prev === undefined) this.head = waiter.next;
    else waiter.prev.next = waiter.next;
    if (waiter.next === undefined) this.tail = waiter.prev;
    else waiter.next.prev = waiter.prev;
    waiter.prev = undefined;
    waiter.next = undefined;
    this.waitingCount--;
  }

  private detach(waiter: LocalWaiter): void {
    this.unlink(waiter);
    if (waiter.signal !== undefined) {
      waiter.signal.removeEventListener('abort', waiter.onAbort!);
      waiter.signal = undefined;
      waiter.onAbort = undefined;
    }
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

// One interval per thread, ref'd only while some runtime of this thread has waiters: toggling ref() is a
// flag flip, where creating and clearing a timer per wait would cost on every handoff.
let keepAliveTimer: NodeJS.Timeout | undefined;
let keepAliveCount = 0;

function keepThreadAlive(delta: 1 | -1): void {
  keepAliveCount += delta;
  if (keepAliveTimer === undefined) keepAliveTimer = setInterval(noop, KEEP_ALIVE_MS).unref();
  if (keepAliveCount === 1 && delta === 1) keepAliveTimer.ref();
  else if (keepAliveCount === 0) keepAliveTimer.unref();
}

/**
 * Moves SERVING on from `ticket`. Only the party responsible for `ticket` calls this (its holder, its
 * thread when nobody there wants it any more, or the recovery of a dead thread); the compareExchange on
 * SERVING makes a second, racing call harmless.
 * @internal
 */
export function passTicket(table: SharedTable, base: number, ticket: number, cellValue: number): void {
  const words = table.words;
  let current = ticket;
  let expectedCell = cellValue;
  for (;;) {
    // Free the cell before SERVING moves: afterwards the same cell may already belong to a new ticket.
    Atomics.compareExchange(words, table.cell(base, current), expectedCell, 0);
    if (Atomics.compareExchange(words, base + SERVING, current, (current + 1) | 0) !== current) return;
    Atomics.sub(words, base + OUTSTANDING, 1);
    current = (current + 1) | 0;
    if (Atomics.load(words, table.cell(base, current)) !== ABANDONED) break;
    expectedCell = ABANDONED;
  }
  if (Atomics.load(words, base + WAITERS) > 0) Atomics.notify(words, base + SERVING);
}

/**
 * Recovers every slot of `table` from the death of thread `deadThreadId` (its `threadId`): a lock it
 * held is passed on with DIED set for the next holder, and its queued tickets are skipped.
 * @internal
 */
export function recoverThread(table: SharedTable, deadThreadId: number): number {
  const dead = deadThreadId + 1;
  const words = table.words;
  let recovered = 0;
  for (let slot = 0; slot < table.capacity; slot++) {
    const base = table.base(slot);
    if (Atomics.compareExchange(words, base + OWNER, dead, 0) === dead) {
      // It died holding the lock (its ticket is the one being served): tell the next holder, hand it on.
      Atomics.store(words, base + DIED, 1);
      recovered++;
      passTicket(table, base, Atomics.load(words, base + SERVING), dead);
    }
    const next = Atomics.load(words, base + NEXT);
    for (let ticket = Atomics.load(words, base + SERVING); ticket !== next; ticket = (ticket + 1) | 0) {
      const cell = table.cell(base, ticket);
      if (Atomics.compareExchange(words, cell, dead, ABANDONED) !== dead) continue;
      // Its ticket may be up already: whoever sees "served and abandoned" passes it on (SERVING's
      // compareExchange lets only one of them do it).
      if (Atomics.load(words, base + SERVING) === ticket) passTicket(table, base, ticket, ABANDONED);
    }
  }
  return recovered;
}

function noop(): void {}

// Atomics.waitAsync is in Node 16+ (V8), but in TypeScript's lib only from ES2024.
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      array: Int32Array,
      index: number,
      value: number,
    ):
      | { async: false; value: 'not-equal' | 'timed-out' }
      | { async: true; value: Promise<'ok' | 'timed-out'> };
  }
).waitAsync;
