import { Phase, phaseHook } from './phase-hook.js';
import { NEXT, RING_START, SELF, SERVING, type SharedTable } from './shared-table.js';
import { claimedCell, doneCell, LAP_MASK, LAP_SHIFT, lapOf, SLEEPING, WHO_MASK } from './ticket-cell.js';

/**
 * The global ticket queue of one slot, as seen from one thread: take a ticket, pass it on, move SERVING past
 * tickets that are done, wake the next thread. Every step is one atomic operation on shared memory, and
 * every state between two steps can be finished by anyone (see {@link TicketQueue.advance}) or by the
 * recovery of a dead thread, which finds that thread's tickets by the id in their cells:
 *
 * - a ticket is taken by claiming its cell (thread id included) and only then moving NEXT on; a thread that
 *   finds NEXT's cell already claimed for NEXT's lap moves NEXT on for the claimer;
 * - a ticket is passed on by marking its cell done and then moving SERVING on; whoever finds SERVING on a
 *   done ticket moves it on, and wakes the thread of the ticket it lands on if that thread sleeps.
 * @internal
 */
export class TicketQueue {
  readonly words: Int32Array;
  readonly base: number;
  private readonly ring: number;
  private readonly ringMask: number;
  private readonly ringShift: number;
  private readonly cellsStart: number;

  constructor(table: SharedTable, slot: number) {
    this.words = table.words;
    this.base = table.base(slot);
    this.ring = table.ring;
    this.ringMask = table.ring - 1;
    this.ringShift = table.ringShift;
    this.cellsStart = this.base + RING_START;
  }

  /** Int32 index of the cell of `ticket`. */
  cellIndex(ticket: number): number {
    return this.cellsStart + (ticket & this.ringMask);
  }

  /** The cell value of `ticket` while this thread holds it (not sleeping). */
  mine(ticket: number): number {
    return claimedCell(lapOf(ticket, this.ringShift), SELF);
  }

  /** The ticket being served now. */
  serving(): number {
    return Atomics.load(this.words, this.base + SERVING);
  }

  /**
   * Takes the ticket being served if nobody holds or waits for the lock, so this thread holds it now;
   * undefined otherwise. Never waits.
   */
  claimFree(): number | undefined {
    const words = this.words;
    const ticket = Atomics.load(words, this.base + SERVING);
    if (Atomics.load(words, this.base + NEXT) !== ticket) return undefined;
    const index = this.cellIndex(ticket);
    const lap = lapOf(ticket, this.ringShift);
    const free = doneCell((lap - 1) & LAP_MASK);
    if (Atomics.compareExchange(words, index, free, claimedCell(lap, SELF)) !== free) return undefined;
    // Nobody can pass a ticket they do not hold, so SERVING is still `ticket`: it is ours.
    return this.settleClaim(ticket, index, lap) ? ticket : undefined;
  }

  /** Takes the next ticket; undefined when `ring` tickets are queued already (the ring is full). */
  take(): number | undefined {
    const words = this.words;
    const nextIndex = this.base + NEXT;
    for (;;) {
      const ticket = Atomics.load(words, nextIndex);
      const index = this.cellIndex(ticket);
      const lap = lapOf(ticket, this.ringShift);
      const free = doneCell((lap - 1) & LAP_MASK);
      const seen = Atomics.compareExchange(words, index, free, claimedCell(lap, SELF));
      if (seen === free) {
        if (this.settleClaim(ticket, index, lap)) return ticket;
        continue;
      }
      const seenLap = seen >>> LAP_SHIFT;
      if (seenLap === lap) {
        // Claimed (or already given up) for this very ticket: move NEXT on for its claimer, try the next.
        Atomics.compareExchange(words, nextIndex, ticket, (ticket + 1) | 0);
      } else if (
        seenLap === ((lap - 1) & LAP_MASK) &&
        (seen & WHO_MASK) !== 0 &&
        Atomics.load(words, nextIndex) === ticket
      ) {
        return undefined; // the ticket one lap before is still queued: `ring` tickets are outstanding
      }
    }
  }

  /**
   * After claiming the cell of `ticket`: moves NEXT past it. False if the claim turns out stale (the thread
   * paused between reading NEXT and claiming while the ring went round 512 laps, so the cell it claimed
   * belongs to a later ticket): that ticket is given up at once, and the caller tries again.
   */
  private settleClaim(ticket: number, index: number, lap: number): boolean {
    if (phaseHook !== undefined) phaseHook(Phase.TICKET_CLAIMED);
    const words = this.words;
    const nextIndex = this.base + NEXT;
    if (Atomics.compareExchange(words, nextIndex, ticket, (ticket + 1) | 0) === ticket) return true;
    // Someone moved NEXT on for us, which leaves it at most a ring ahead; further means a later lap's cell.
    if ((Atomics.load(words, nextIndex) - ticket) >>> 0 <= this.ring) return true;
    Atomics.store(words, index, doneCell(lap));
    this.advance(this.serving());
    return false;
  }

  /** Passes on `ticket`, which this thread holds or no longer wants: done, then SERVING moves on. */
  pass(ticket: number): void {
    Atomics.store(this.words, this.cellIndex(ticket), doneCell(lapOf(ticket, this.ringShift)));
    if (phaseHook !== undefined) phaseHook(Phase.TICKET_DONE);
    this.advance(ticket);
  }

  /**
   * Moves SERVING on from `from` (the ticket being served, or one already passed) past every ticket that is
   * done, then wakes the thread of the ticket it stops at if that thread sleeps. Anyone may call it at any
   * time: every move is a compareExchange from the ticket whose cell says it is done.
   */
  advance(from: number): void {
    const words = this.words;
    const servingIndex = this.base + SERVING;
    let serving = from;
    for (;;) {
      const index = this.cellIndex(serving);
      const value = Atomics.load(words, index);
      const lap = lapOf(serving, this.ringShift);
      const valueLap = value >>> LAP_SHIFT;
      if (valueLap === lap) {
        if ((value & WHO_MASK) !== 0) {
          // Claimed and not done: its thread holds it or waits for it. Wake it if it sleeps.
          if (
            (value & SLEEPING) !== 0 &&
            Atomics.compareExchange(words, index, value, value & ~SLEEPING) === value
          ) {
            Atomics.notify(words, index);
          }
          return;
        }
      } else if (valueLap !== ((lap + 1) & LAP_MASK)) {
        return; // not claimed yet: SERVING has caught up with NEXT, the lock is free
      }
      // Done (or its cell already reused a lap later, which needs it done): move past it. NEXT first, so
      // SERVING never overtakes it when the claimer died before moving NEXT on.
      const next = (serving + 1) | 0;
      if (Atomics.load(words, this.base + NEXT) === serving) {
        Atomics.compareExchange(words, this.base + NEXT, serving, next);
      }
      const seen = Atomics.compareExchange(words, servingIndex, serving, next);
      if (seen !== serving) {
        serving = seen; // moved on by someone else: continue from where it is
        continue;
      }
      if (phaseHook !== undefined) phaseHook(Phase.SERVING_MOVED);
      serving = next;
    }
  }
}
