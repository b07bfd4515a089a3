import type { FileGrant } from './file-grant.js';

/**
 * One acquisition of this process waiting for a name: a node of its name's {@link WaiterQueue}, so a timeout
 * or an abort takes it out in O(1).
 * @internal
 */
export class QueuedAcquisition {
  prev: QueuedAcquisition | undefined = undefined;
  next: QueuedAcquisition | undefined = undefined;
  queued = true;
  onAbort: (() => void) | undefined = undefined;

  constructor(
    readonly resolve: (grant: FileGrant) => void,
    readonly reject: (reason: unknown) => void,
    readonly signal: AbortSignal | undefined,
    /** Waits for an exclusive grant (a lock, a write) or a shared one (a read). */
    readonly exclusive: boolean = true,
  ) {}
}

/**
 * The FIFO of one name's waiters in this process (an intrusive doubly linked list): they queue here, in front
 * of the kernel lock, so that only the head of the line waits in the kernel. A waiter that leaves from the head
 * is taken off its caller's signal, so the signal keeps nothing of the lock.
 * @internal
 */
export class WaiterQueue {
  head: QueuedAcquisition | undefined = undefined;
  tail: QueuedAcquisition | undefined = undefined;
  /** Number of waiters. */
  size = 0;

  /** Appends `waiter`; with a signal, `onAbort` runs once if it aborts (and must call {@link remove}). */
  push(waiter: QueuedAcquisition, onAbort?: () => void): void {
    waiter.prev = this.tail;
    if (this.tail === undefined) this.head = waiter;
    else this.tail.next = waiter;
    this.tail = waiter;
    this.size++;
    if (waiter.signal !== undefined && onAbort !== undefined) {
      waiter.onAbort = onAbort;
      waiter.signal.addEventListener('abort', onAbort, { once: true });
    }
  }

  /** Takes `waiter` out wherever it is, and off its signal. */
  remove(waiter: QueuedAcquisition): void {
    if (!waiter.queued) return;
    waiter.queued = false;
    if (waiter.prev === undefined) this.head = waiter.next;
    else waiter.prev.next = waiter.next;
    if (waiter.next === undefined) this.tail = waiter.prev;
    else waiter.next.prev = waiter.prev;
    waiter.prev = undefined;
    waiter.next = undefined;
    this.size--;
    const onAbort = waiter.onAbort;
    waiter.onAbort = undefined;
    if (onAbort !== undefined) waiter.signal!.removeEventListener('abort', onAbort);
  }

  /** Removes and returns the head, or undefined when nobody waits. */
  shift(): QueuedAcquisition | undefined {
    const waiter = this.head;
    if (waiter !== undefined) this.remove(waiter);
    return waiter;
  }
}
