import type { KernelWaiter } from '../kernel/kernel-waiter.js';
import type { LockFile } from '../lock-file/lock-file.js';
import type { FileGrant } from './file-grant.js';
import { WaiterQueue } from './waiter-queue.js';

/** A kernel wait for the turnstile only, or for the turnstile and then the lock. @internal */
export type KernelWaitKind = 'gate' | 'full';

/**
 * What this process knows of one lock name: its lock file (kept open between grants, so an uncontended
 * acquisition costs no `open`) and its turnstile file, the grants this process holds (one exclusive, or any
 * number of shared ones on the same open file), the acquisitions of this process waiting in line, and the
 * kernel waiter process that waits for the head of that line.
 *
 * Invariants: an exclusive holder or readers, never both; a `full` kernel wait runs only while this process
 * holds nothing, a `gate` one only while its readers hold; the kernel waiter, if any, shares `file`'s and
 * `gate`'s open file descriptions.
 * @internal
 */
export class NameState {
  /** The name's lock file, open; undefined until first needed or after it was dropped. */
  file: LockFile | undefined = undefined;
  /** This process's exclusive grant of the name. */
  holder: FileGrant | undefined = undefined;
  /** This process's shared grants of the name (all on `file`, whose open file description holds a shared lock). */
  readonly readers = new Set<FileGrant>();
  /** The name's turnstile file, open; undefined until a wait or a reader needs it. */
  gate: LockFile | undefined = undefined;
  /** This process's acquisitions waiting for the name, FIFO. */
  readonly waiters = new WaiterQueue();
  /** The helper process that waits in the kernel on `file`, kept between waits. */
  kernelWaiter: KernelWaiter | undefined = undefined;
  /** True while the kernel waiter waits for the head of the line. */
  kernelWait = false;
  /** What the kernel wait in flight waits for: the turnstile only (`gate`), or the turnstile then the lock. */
  kernelWaitKind: KernelWaitKind = 'full';
  /** The mode of the lock a `full` kernel wait asks for. */
  kernelWaitExclusive = true;
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
    return this.holder === undefined && this.readers.size === 0 && this.waiters.size === 0;
  }

  /** True while this process holds the name in either mode. */
  get holding(): boolean {
    return this.holder !== undefined || this.readers.size > 0;
  }

  /** True while `grant` is one of this process's live grants of the name. */
  holds(grant: FileGrant): boolean {
    return grant.exclusive ? this.holder === grant : this.readers.has(grant);
  }
}
