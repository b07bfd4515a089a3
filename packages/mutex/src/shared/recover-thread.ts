import { DIED, GEN, OWNER, type SharedTable } from './shared-table.js';
import { Shares } from './shares.js';
import { VACANT_KEY } from './slot-names.js';
import { doneCell, LAP_SHIFT, lapOf, WHO_MASK } from './ticket-cell.js';
import { TicketQueue } from './ticket-queue.js';

/** Parts of recovery a test can switch off to show that its check fails without them. @internal */
export interface RecoverySteps {
  /** Move each slot's queue on and wake its next thread (default true). */
  readonly advance?: boolean | undefined;
  /** Give back the shared grants (readers, permits) the dead thread held (default true). */
  readonly shares?: boolean | undefined;
}

/**
 * Recovers every slot of `table` from the death of thread `deadThreadId` (its `threadId`), wherever in
 * the protocol it stopped, using only the shared state and the dead thread's id:
 *
 * - it was renaming a slot it held (odd generation): the slot is left serving no name (VACANT_KEY), since
 *   another thread may have placed either the old or the new name elsewhere meanwhile;
 * - it was inside a critical section (OWNER is its id): DIED is set for the next holder;
 * - every ticket it claimed (held, queued, or claimed a moment before moving NEXT on) is given up;
 * - every shared grant it held (readers, permits: its share entry) is given back, and the head of the
 *   queue, if it waits for shared holders to leave, is woken;
 * - then each queue is moved on from SERVING past every ticket that is done, and the thread of the ticket
 *   it stops at is woken: this finishes a release the dead thread had begun (ticket done but SERVING not
 *   moved, or SERVING moved but the next thread not woken).
 *
 * Returns how many locks it held inside a critical section.
 * @internal
 */
export function recoverThread(table: SharedTable, deadThreadId: number, steps: RecoverySteps = {}): number {
  const dead = deadThreadId + 1;
  const words = table.words;
  let recovered = 0;
  for (let slot = 0; slot < table.capacity; slot++) {
    const queue = new TicketQueue(table, slot);
    const base = queue.base;
    const generation = Atomics.load(words, base + GEN);
    if ((generation & 1) !== 0) {
      // Only the holder of a slot's served ticket renames it: finish the renaming only if that was the dead.
      const serving = queue.serving();
      const cell = Atomics.load(words, queue.cellIndex(serving));
      if ((cell & WHO_MASK) === dead && cell >>> LAP_SHIFT === lapOf(serving, table.ringShift)) {
        Atomics.store(table.wide, table.keyIndex(slot), VACANT_KEY);
        Atomics.store(words, base + GEN, (generation + 1) | 0);
      }
    }
    // DIED before its ticket is given up: the next holder is served only after that, and must see it.
    if (Atomics.compareExchange(words, base + OWNER, dead, 0) === dead) {
      Atomics.store(words, base + DIED, 1);
      recovered++;
    }
    const cellsEnd = queue.cellIndex(-1) + 1;
    for (let index = queue.cellIndex(0); index < cellsEnd; index++) {
      const value = Atomics.load(words, index);
      if ((value & WHO_MASK) === dead)
        Atomics.compareExchange(words, index, value, doneCell(value >>> LAP_SHIFT));
    }
    if (steps.shares !== false) new Shares(table, base).recover(dead);
    if (steps.advance !== false) queue.advance(queue.serving());
  }
  return recovered;
}
