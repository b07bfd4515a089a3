import extensions from 'fs-native-extensions';
import { lockFailure, tryLockFd, unlockFd } from '../kernel/kernel-lock.js';
import { KernelWaiter } from '../kernel/kernel-waiter.js';
import type { LockFile } from '../lock-file/lock-file.js';
import type { FileGrant } from './file-grant.js';
import type { LockTable } from './lock-table.js';
import type { KernelWaitKind, NameState } from './name-state.js';
import { grantOn, takeLock, takeShared } from './take-lock.js';
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
 * Queues an acquisition of `state` (exclusive or shared) behind this process's holders and waiters; the head
 * of the line waits in the kernel when this process's holders do not stand in its way. Resolves with the
 * grant; on abort, leaves the line at once (O(1)) and rejects with the reason.
 * @internal
 */
export function enqueue(
  table: LockTable,
  state: NameState,
  signal: AbortSignal | undefined,
  exclusive = true,
): Promise<FileGrant> {
  return new Promise<FileGrant>((resolve, reject) => {
    const waiter = new QueuedAcquisition(resolve, reject, signal, exclusive);
    state.waiters.push(waiter, () => {
      state.waiters.remove(waiter);
      reject(signal!.reason);
      waiterLeft(table, state);
    });
    if (state.waiters.size === 1) advance(table, state);
  });
}

/**
 * Moves this process's line of `state` on after a release, a departure or an arrival: the head is served when
 * nothing here stands in its way. An exclusive holder here is waited for; readers here let a reader at the
 * head join them through the turnstile, and hold back a writer at the head until the last of them releases
 * (that release serves it). A kernel wait in flight serves the head when it ends.
 * @internal
 */
export function advance(table: LockTable, state: NameState): void {
  if (state.kernelWait) return;
  const head = state.waiters.head;
  if (head === undefined) {
    table.settle(state);
    return;
  }
  if (state.holder !== undefined) return;
  if (state.readers.size === 0) serveHead(table, state);
  else if (!head.exclusive) serveReaders(table, state);
}

/**
 * The lock is free in this process and someone here waits: take it at once if it is free, else let the kernel
 * decide. The head of the line waits through the name's kernel waiter process, which the kernel may serve
 * before or after other processes' waiters; a release here never hands the lock to the next waiter here
 * directly, so a busy process cannot keep the lock from the others.
 * @internal
 */
export function serveHead(table: LockTable, state: NameState): void {
  const head = state.waiters.head;
  if (head === undefined) {
    table.settle(state);
    return;
  }
  if (table.closed) {
    rejectAll(state, (name) => table.closedError(name));
    return;
  }
  let grant: FileGrant | null;
  try {
    grant = head.exclusive ? takeLock(table, state) : takeShared(table, state);
  } catch (error) {
    rejectAll(state, () => error);
    return;
  }
  if (grant === null) {
    waitInKernel(table, state, 'full', head.exclusive);
    return;
  }
  state.waiters.shift()!.resolve(grant);
  if (!grant.exclusive) serveReaders(table, state);
}

/** Readers hold here: the readers at the head of the line join them, each passing the turnstile. */
function serveReaders(table: LockTable, state: NameState): void {
  for (let head = state.waiters.head; head !== undefined && !head.exclusive; head = state.waiters.head) {
    let grant: FileGrant | null;
    try {
      grant = takeShared(table, state);
    } catch (error) {
      state.waiters.shift()!.reject(error);
      continue;
    }
    if (grant === null) {
      // A writer of another process holds the turnstile while it waits: line up behind it.
      waitInKernel(table, state, 'gate', false);
      return;
    }
    state.waiters.shift()!.resolve(grant);
  }
}

/**
 * The head of the line waits in the kernel through the name's kernel waiter process: for the turnstile, then
 * (a `full` wait, when nothing here holds) for the lock in the head's mode, keeping the turnstile while it
 * waits, so readers of other processes that arrive meanwhile wait at the turnstile behind it. A `gate` wait
 * (readers here hold, another process's writer holds the turnstile) waits for the turnstile only.
 */
function waitInKernel(table: LockTable, state: NameState, kind: KernelWaitKind, exclusive: boolean): void {
  if (table.closed) {
    rejectAll(state, (name) => table.closedError(name));
    return;
  }
  clearTimeout(state.lingerTimer);
  state.lingerTimer = undefined;
  let waiting: Promise<bigint | undefined>;
  let waiter: KernelWaiter | undefined;
  try {
    const file = state.file ?? table.openFile(state);
    const gate = table.openGate(state);
    if (mode === 'blocking-thread') {
      const shared = exclusive ? undefined : { shared: true };
      waiting = extensions
        .waitForLock(gate.fd)
        .then(() => (kind === 'full' ? extensions.waitForLock(file.fd, 0, 0, shared) : undefined))
        .then(() => undefined)
        .catch((error: unknown) => {
          throw lockFailure('wait', file.path, error);
        });
    } else {
      if (state.kernelWaiter?.gone) state.kernelWaiter = undefined;
      waiter = state.kernelWaiter ??= KernelWaiter.spawn(file.path, file.fd, gate.fd);
      waiting = waiter.wait({ exclusive, lock: kind === 'full', atLeast: state.lastToken + 1n });
    }
  } catch (error) {
    state.kernelWait = false;
    rejectAll(state, () => error);
    return;
  }
  state.kernelWait = true;
  state.kernelWaitKind = kind;
  state.kernelWaitExclusive = exclusive;
  waiting.then(
    (token) => granted(table, state, waiter, token),
    (error: unknown) => failed(table, state, waiter, error),
  );
}

/** A waiter left the line (timeout, abort): with nobody left, the kernel wait ends with it. */
function waiterLeft(table: LockTable, state: NameState): void {
  if (state.waiters.size > 0) {
    advance(table, state);
    return;
  }
  if (state.kernelWait) cancelKernelWait(table, state);
  table.settle(state);
}

/**
 * Ends the kernel wait in flight. Killing the waiter process and closing our descriptors frees what was
 * granted to it in the last instant: the turnstile, and for a `full` wait the lock (nothing here holds it).
 */
function cancelKernelWait(table: LockTable, state: NameState): void {
  if (state.kernelWaitKind === 'gate') table.dropGate(state);
  else table.dropFile(state);
}

function isCurrent(state: NameState, waiter: KernelWaiter | undefined): boolean {
  return state.kernelWait && state.kernelWaiter === waiter;
}

/**
 * The kernel granted what the wait asked for to the open files this process shares with its waiter. After a
 * `full` wait the waiter has given the turnstile back already (and `token` is the one it minted under it for
 * a shared grant); in the blocking-thread variant the turnstile is still held and nothing was minted.
 */
function granted(
  table: LockTable,
  state: NameState,
  waiter: KernelWaiter | undefined,
  token: bigint | undefined,
): void {
  if (!isCurrent(state, waiter)) return;
  state.kernelWait = false;
  if (waiter !== undefined) {
    state.lingerTimer = setTimeout(() => table.dropKernelWaiter(state), WAITER_LINGER_MS);
    state.lingerTimer.unref();
  }
  const file = state.file!;
  const gate = state.gate!;
  const full = state.kernelWaitKind === 'full';
  if (table.closed) {
    if (full) unlockFd(file.fd, file.path);
    unlockFd(gate.fd, gate.path);
    rejectAll(state, (name) => table.closedError(name));
    return;
  }
  if (!full) {
    turnstilePassed(table, state, gate);
    return;
  }
  if (!file.atPath()) {
    // Replaced while we waited: this lock is nobody's any more; drop it and line up for the file now there.
    table.dropFile(state);
    serveHead(table, state);
    return;
  }
  const head = state.waiters.head;
  const exclusive = state.kernelWaitExclusive;
  // No head, one that wants an exclusive grant after a shared wait (the one we waited for left), or a shared
  // grant under a turnstile that is no longer the one at its path: give back and start over.
  if (head === undefined || (head.exclusive && !exclusive) || (!exclusive && !gate.atPath())) {
    unlockFd(file.fd, file.path);
    unlockFd(gate.fd, gate.path);
    if (head !== undefined && !gate.atPath()) table.dropGate(state);
    serveHead(table, state);
    return;
  }
  if (exclusive) {
    // Minted under the exclusive lock: the head, or every reader at the head (then the lock turns shared,
    // atomically and without waiting).
    grantHeads(table, state, file);
    if (state.readers.size > 0) tryLockFd(file.fd, file.path, false);
    unlockFd(gate.fd, gate.path);
  } else if (token === undefined) {
    grantHeads(table, state, file);
    unlockFd(gate.fd, gate.path);
  } else {
    state.waiters.shift();
    try {
      head.resolve(grantOn(table, state, file, false, token));
    } catch (error) {
      head.reject(error);
    }
    // The readers behind it pass the turnstile as any reader does.
    if (state.readers.size > 0) serveReaders(table, state);
  }
  if (!state.holding) advance(table, state);
}

/**
 * A `gate` wait ended: this process's readers hold the lock, and the turnstile is ours. The readers at the
 * head join them (their tokens minted under the turnstile), then the turnstile is given back.
 */
function turnstilePassed(table: LockTable, state: NameState, gate: LockFile): void {
  const file = state.file;
  if (state.readers.size === 0 || file === undefined || !gate.atPath()) {
    // Our readers left meanwhile (the lock is free here: start over), or the turnstile was replaced.
    unlockFd(gate.fd, gate.path);
    if (!gate.atPath()) table.dropGate(state);
    advance(table, state);
    return;
  }
  grantHeads(table, state, file);
  unlockFd(gate.fd, gate.path);
  if (!state.holding) advance(table, state);
}

/**
 * With the kernel lock held in the head's mode (or exclusively) and the turnstile held, or the lock held
 * exclusively: grants the head, and after a shared head every reader queued right behind it, each token
 * minted where no other process can mint.
 */
function grantHeads(table: LockTable, state: NameState, file: LockFile): void {
  for (let head = state.waiters.head; head !== undefined; head = state.waiters.head) {
    if (head.exclusive && state.holding) break;
    state.waiters.shift();
    try {
      head.resolve(grantOn(table, state, file, head.exclusive));
    } catch (error) {
      head.reject(error);
      // The token could not be written: with nothing held here any more, the next head starts over.
      if (!state.holding) break;
      continue;
    }
    if (head.exclusive) break;
  }
}

function failed(table: LockTable, state: NameState, waiter: KernelWaiter | undefined, error: unknown): void {
  if (!isCurrent(state, waiter)) return;
  cancelKernelWait(table, state);
  rejectAll(state, () => error);
  table.settle(state);
}

function rejectAll(state: NameState, reason: (name: string) => unknown): void {
  for (let waiter = state.waiters.shift(); waiter !== undefined; waiter = state.waiters.shift()) {
    waiter.reject(reason(state.name));
  }
}
