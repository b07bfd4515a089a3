import type { KernelWaiter } from '../kernel/kernel-waiter.js';
import type { LockFile } from '../lock-file/lock-file.js';
import type { FileGrant } from './file-grant.js';
import { WaiterQueue } from './waiter-queue.js';

/**
 * What this process knows of one lock name: its lock file (kept open between grants, so an uncontended
 * acquisition costs no `open`), the grant this process holds, the acquisitions of this process waiting in
 * line, and the kernel waiter process that waits for the head of that line.
 *
 * Invariants: at most one holder in this process; `kernelWait` is set only while `holder` is undefined and
 * someone waits; the kernel waiter, if any, shares `file`'s open file description.
 * @internal
 */
export class NameState {
  /** The name's lock file, open; undefined until first needed or after it was dropped. */
  file: LockFile | undefined = undefined;
  /** This process's grant of the name. */
  holder: FileGrant | undefined = undefined;
  /** This process's acquisitions waiting for the name, FIFO. */
  readonly waiters = new WaiterQueue();
  /** The helper process that waits in the kernel on `file`, kept between waits. */
  kernelWaiter: KernelWaiter | undefined = undefined;
  /** True while the kernel waiter waits for the head of the line. */
  kernelWait = false;
  /** The latest token this process minted for the name (a floor for the next, should its file be lost). */
  lastToken = 0n;
  /** Drops the kernel waiter after it has stayed unused for a while (unref'd). */
  lingerTimer: NodeJS.Timeout | undefined = undefined;

  constructor(
    /** The lock name. */
    readonly name: string,
    /** The lock file's path. */
    readonly path: string,
    /** The lock file's name in the directory (what the directory watch reports). */
    readonly fileName: string,
  ) {}

  /** True when nobody in this process holds or waits. */
  get idle(): boolean {
    return this.holder === undefined && this.waiters.size === 0;
  }
}
