import type { ListedWaiter } from '../waiter-list.js';
import type { SharedGrant } from './shared-grant.js';
import type { SlotMode } from './slot-mode.js';

/** A local waiter: a node of this thread's FIFO for one slot (its runtime's `WaiterList`). @internal */
export class LocalWaiter implements ListedWaiter<LocalWaiter> {
  prev: LocalWaiter | undefined = undefined;
  next: LocalWaiter | undefined = undefined;
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  constructor(
    readonly resolve: (grant: SharedGrant) => void,
    readonly reject: (reason: unknown) => void,
    readonly tag: object | undefined,
    readonly name: string | undefined,
    /** The slot generation the waiter's handle found its name at. */
    public generation: number,
    /** Queues the waiter where its name lives now, when the slot was given to another name. */
    readonly relocate: ((waiter: LocalWaiter) => void) | undefined,
    /** What the waiter's handle asks for: a mutex, a writer, a reader, a permit. */
    readonly mode: SlotMode,
  ) {}
}
