/**
 * Encoding of one ring cell (an Int32): `lap << 23 | SLEEPING? | who`.
 *
 * - `who` (22 bits): threadId + 1 of the thread that claimed the ticket, or 0 once the ticket is done
 *   (passed on, or abandoned by a thread that died or gave it up).
 * - `SLEEPING` (bit 22): the claimer sleeps on this cell with `Atomics.waitAsync`; whoever makes the ticket
 *   the one being served clears the bit and notifies the cell, so exactly that thread wakes.
 * - `lap` (9 bits): `ticket >>> log2(ring)`, modulo 512. It tells which of the tickets that share the cell
 *   the value is about, so "the previous lap's ticket is still queued" (the ring is full) and "this lap's
 *   ticket is claimed" can never be confused.
 *
 * Taking a ticket is one compareExchange of its cell from "the previous lap was done" to "claimed by me":
 * the thread id is recorded in the same atomic step that takes the ticket, so a thread that dies at any
 * point afterwards can be found by its id and its tickets given up for it.
 * @internal
 */
export const WHO_MASK = (1 << 22) - 1;
/** @internal */
export const SLEEPING = 1 << 22;
/** @internal */
export const LAP_SHIFT = 23;
/** @internal */
export const LAP_MASK = 0x1ff;

/** The lap of `ticket` in a ring of `1 << ringShift` cells. @internal */
export function lapOf(ticket: number, ringShift: number): number {
  return (ticket >>> ringShift) & LAP_MASK;
}

/** Cell value: the ticket of `lap` is claimed by `who`. @internal */
export function claimedCell(lap: number, who: number): number {
  return (lap << LAP_SHIFT) | who;
}

/** Cell value: the ticket of `lap` is done (passed on or abandoned). @internal */
export function doneCell(lap: number): number {
  return lap << LAP_SHIFT;
}

/** Cell value before the first ticket of a cell: "the ticket one lap before lap 0 is done". @internal */
export const INITIAL_CELL = doneCell(LAP_MASK);
