import extensions from 'fs-native-extensions';
import { lockFailure, unlockFd } from '../kernel/kernel-lock.js';
import { KernelWaiter } from '../kernel/kernel-waiter.js';
import type { FileGrant } from './file-grant.js';
import type { LockTable } from './lock-table.js';
import type { NameState } from './name-state.js';
import { grantOn, takeLock } from './take-lock.js';
import { QueuedAcquisition } from './waiter-queue.js';

/** How long a kernel waiter process stays for the next wait on its name after its last one, in ms. */
export const WAITER_LINGER_MS = 10_000;

/**
 * How the head of a name's line waits in the kernel. `process` is the product (a kernel waiter process);
 * `blocking-thread` is the broken variant for the test that shows why: fs-native-extensions' `waitForLock`,
 * a thread of its own per wait blocked in the kernel, which nothing can cancel, and whose completion handle
 * keeps the process alive until the lock frees, long after a timeout gave up on it. @internal
 */
export type KernelWaitMode = 'process' | 'blocking-thread';
let mode: KernelWaitMode = 'process';

/** Test hook: switches how kernel waits are made (see {@link KernelWaitMode}). @internal */
export function setKernelWaitMode(next: KernelWaitMode): void {
  mode = next;
}

/**
 * Queues an acquisition of `state` behind this process's holder and waiters; the head of the line waits in
 * the kernel. Resolves with the grant; on abort, leaves the line at once (O(1)) and rejects with the reason.
 * @internal
 */
export function enqueue(
  table: LockTable,
  state: NameState,
  signal: AbortSignal | undefined,
): Promise<FileGrant> {
  return new Promise<FileGrant>((resolve, reject) => {
    const waiter = new QueuedAcquisition(resolve, reject, signal);
    state.waiters.push(waiter, () => {
      state.waiters.remove(waiter);
      reject(signal!.reason);
      waiterLeft(table, state);
    });
    if (state.holder === undefined && !state.kernelWait) waitInKernel(table, state);
  });
}

/**
 * The lock is free in this process and someone here waits: let the kernel decide. The head of the line waits
 * through the name's kernel waiter process, which the kernel may serve before or after other processes'
 * waiters; a release here never hands the lock to the next waiter here directly, so a busy process cannot
 * keep the lock from the others.
 * @internal
 */
export function waitInKernel(table: LockTable, state: NameState): void {
  if (table.closed) {
    rejectAll(state, (name) => table.closedError(name));
    return;
  }
  state.kernelWait = true;
  clearTimeout(state.lingerTimer);
  state.lingerTimer = undefined;
  let waiting: Promise<void>;
  let waiter: KernelWaiter | undefined;
  try {
    const file = state.file ?? table.openFile(state);
    if (mode === 'blocking-thread') {
      waiting = extensions.waitForLock(file.fd).catch((error: unknown) => {
        throw lockFailure('wait', file.path, error);
      });
    } else {
      if (state.kernelWaiter?.gone) state.kernelWaiter = undefined;
      waiter = state.kernelWaiter ??= KernelWaiter.spawn(file.path, file.fd);
      waiting = waiter.wait(true);
    }
  } catch (error) {
    state.kernelWait = false;
    rejectAll(state, () => error);
    return;
  }
  waiting.then(
    () => granted(table, state, waiter),
    (error: unknown) => failed(table, state, waiter, error),
  );
}

/** Serves the head of the line when the lock is free here: takes it at once if it is free, else waits for it. */
export function serveHead(table: LockTable, state: NameState): void {
  if (state.waiters.size === 0) {
    table.settle(state);
    return;
  }
  let grant: FileGrant | null;
  try {
    grant = takeLock(table, state);
  } catch (error) {
    rejectAll(state, () => error);
    return;
  }
  if (grant === null) waitInKernel(table, state);
  else state.waiters.shift()!.resolve(grant);
}

/** A waiter left the line (timeout, abort): with nobody left, the kernel wait ends with it. */
function waiterLeft(table: LockTable, state: NameState): void {
  if (state.waiters.size > 0) return;
  // Killing the waiter process and closing our descriptor frees a lock granted to it in the last instant.
  if (state.kernelWait) table.dropFile(state);
  table.settle(state);
}

function isCurrent(state: NameState, waiter: KernelWaiter | undefined): boolean {
  return state.kernelWait && state.kernelWaiter === waiter;
}

/** The kernel granted the lock to the open file this process shares with its waiter: it is ours. */
function granted(table: LockTable, state: NameState, waiter: KernelWaiter | undefined): void {
  if (!isCurrent(state, waiter)) return;
  state.kernelWait = false;
  if (waiter !== undefined) {
    state.lingerTimer = setTimeout(() => table.dropKernelWaiter(state), WAITER_LINGER_MS);
    state.lingerTimer.unref();
  }
  const file = state.file!;
  if (table.closed) {
    unlockFd(file.fd, file.path);
    rejectAll(state, (name) => table.closedError(name));
    return;
  }
  if (!file.atPath()) {
    // Replaced while we waited: this lock is nobody's any more; drop it and line up for the file now there.
    table.dropFile(state);
    serveHead(table, state);
    return;
  }
  const head = state.waiters.shift();
  if (head === undefined) {
    unlockFd(file.fd, file.path);
    table.settle(state);
    return;
  }
  let grant: FileGrant;
  try {
    grant = grantOn(table, state, file);
  } catch (error) {
    head.reject(error);
    serveHead(table, state);
    return;
  }
  head.resolve(grant);
}

function failed(table: LockTable, state: NameState, waiter: KernelWaiter | undefined, error: unknown): void {
  if (!isCurrent(state, waiter)) return;
  table.dropFile(state);
  rejectAll(state, () => error);
  table.settle(state);
}

function rejectAll(state: NameState, reason: (name: string) => unknown): void {
  for (let waiter = state.waiters.shift(); waiter !== undefined; waiter = state.waiters.shift()) {
    waiter.reject(reason(state.name));
  }
}
