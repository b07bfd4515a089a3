/**
 * What a waiter carries to be kept in a {@link WaiterList}: its neighbours, and the abort listener it left on
 * its caller's signal (so the list can take the listener off when the waiter leaves in any other way).
 * @internal
 */
export interface ListedWaiter<W> {
  prev: W | undefined;
  next: W | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * The FIFO of one lock's waiters in this thread, shared by the in-process mutex (its whole queue) and the
 * shared mutex (the waiters of this thread behind its one ticket): an intrusive doubly linked list, so a
 * waiter that is cancelled leaves in O(1) and nothing is allocated per waiter beyond the waiter itself.
 * A waiter that leaves from the head is detached from its caller's signal, so the signal keeps nothing of
 * the lock; its `signal` stays set, for a waiter that moves on to another list (a renamed slot).
 * @internal
 */
export class WaiterList<W extends ListedWaiter<W>> {
  head: W | undefined = undefined;
  tail: W | undefined = undefined;
  /** Number of waiters in the list. */
  size = 0;

  /** Appends `waiter`; with a `signal`, `onAbort` runs once if it aborts (it must call {@link unlink}). */
  push(waiter: W, signal?: AbortSignal, onAbort?: () => void): void {
    waiter.prev = this.tail;
    if (this.tail === undefined) this.head = waiter;
    else this.tail.next = waiter;
    this.tail = waiter;
    this.size++;
    if (signal === undefined) return;
    waiter.signal = signal;
    waiter.onAbort = onAbort;
    signal.addEventListener('abort', onAbort!, { once: true });
  }

  /** Takes `waiter` out wherever it is (its abort listener, if any, has run or is left to the caller). */
  unlink(waiter: W): void {
    if (waiter.prev === undefined) this.head = waiter.next;
    else waiter.prev.next = waiter.next;
    if (waiter.next === undefined) this.tail = waiter.prev;
    else waiter.next.prev = waiter.prev;
    waiter.prev = undefined;
    waiter.next = undefined;
    waiter.onAbort = undefined;
    this.size--;
  }

  /** Takes `waiter` out and off its caller's signal: it is being granted, failed or moved. */
  detach(waiter: W): void {
    const onAbort = waiter.onAbort;
    this.unlink(waiter);
    if (onAbort !== undefined) waiter.signal!.removeEventListener('abort', onAbort);
  }

  /** Detaches and returns the head, or undefined when nobody waits. */
  shift(): W | undefined {
    const waiter = this.head;
    if (waiter !== undefined) this.detach(waiter);
    return waiter;
  }
}
