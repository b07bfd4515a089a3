import { LockBackendError } from '@lock/core';
import { tryLockFd, unlockFd } from '../kernel/kernel-lock.js';
import type { LockFile } from '../lock-file/lock-file.js';
import { mintToken } from '../lock-file/lock-file-header.js';
import { FileGrant } from './file-grant.js';
import type { LockTable } from './lock-table.js';
import type { NameState } from './name-state.js';

/** Files replaced under us in a row before an acquisition gives up (someone keeps replacing the file). */
const MAX_REPLACED = 8;

/** Non-blocking tries for the turnstile before a reader waits in the kernel (about 0.5 µs each here). */
const TURNSTILE_TRIES = 64;

/**
 * How a reader that does not wait goes in. `pass` is the product (through the turnstile); `skip` is the broken
 * variant for the tests that show why: readers take the shared lock straight away, so they pass a waiting
 * writer of another process, and a stream of them starves it. @internal
 */
export type TurnstileMode = 'pass' | 'skip';
let turnstile: TurnstileMode = 'pass';

/** Test hook: switches how readers go in (see {@link TurnstileMode}). @internal */
export function setTurnstileMode(next: TurnstileMode): void {
  turnstile = next;
}

/**
 * The uncontended path, on the calling thread with no thread pool and no waiting: take the kernel lock on the
 * name's open file without blocking, check that the path still names that file, mint the token. `null` when
 * another process holds the lock. Call only when nobody in this process holds or waits for the name.
 *
 * The path check is what makes a kept-open file safe: a file deleted or replaced since we opened it is a lock
 * nobody else uses any more, so its lock is dropped and the file now at the path is used instead.
 * @internal
 */
export function takeLock(table: LockTable, state: NameState): FileGrant | null {
  for (let replaced = 0; replaced < MAX_REPLACED; replaced++) {
    const file = state.file ?? table.openFile(state);
    if (!tryLockFd(file.fd, file.path)) return null;
    if (file.atPath()) return grantOn(table, state, file);
    table.dropFile(state);
  }
  throw new LockBackendError('file', 'acquire', {
    lockName: state.name,
    detail: `${state.path} was replaced ${MAX_REPLACED} times while being locked; something else deletes or renames files in ${table.directory}`,
  });
}

/**
 * The shared path, on the calling thread with no waiting: pass the turnstile (take its exclusive lock without
 * blocking: `null` when a writer of another process holds it while it waits), take the shared lock on the
 * name's file (or join this process's readers, who hold it already), mint the token under the turnstile, and
 * give the turnstile back. `null` also when a writer holds the lock. Call only when no exclusive holder and
 * no waiter of this process is ahead.
 *
 * Why the token is minted under the turnstile: readers hold the lock file together, so the lock file alone
 * does not make the header's read-increment-write atomic among them; the turnstile, held exclusively, does
 * (a writer mints under its exclusive lock on the lock file, which no reader holds meanwhile).
 * @internal
 */
export function takeShared(table: LockTable, state: NameState): FileGrant | null {
  if (turnstile === 'skip') return joinReaders(table, state) ?? null;
  for (let replaced = 0; replaced < MAX_REPLACED; replaced++) {
    const gate = table.openGate(state);
    if (!passTurnstile(gate)) return null;
    if (!gate.atPath()) {
      table.dropGate(state);
      continue;
    }
    try {
      const grant = joinReaders(table, state);
      if (grant !== undefined) return grant;
    } finally {
      if (gate.open) unlockFd(gate.fd, gate.path);
    }
  }
  throw new LockBackendError('file', 'acquire', {
    lockName: state.name,
    detail: `${state.path} or its turnstile was replaced ${MAX_REPLACED} times while being locked; something else deletes or renames files in ${table.directory}`,
  });
}

/**
 * Tries for the turnstile a few times in a row before giving up: other readers hold it for a few system calls
 * only (never while they wait), so a reader that meets one there is let through microseconds later, where
 * waiting in the kernel would cost a round trip to the waiter process. A writer that waits holds it for as
 * long as it waits, and every try fails: the reader then lines up in the kernel.
 */
function passTurnstile(gate: LockFile): boolean {
  for (let attempt = 0; attempt < TURNSTILE_TRIES; attempt++) if (tryLockFd(gate.fd, gate.path)) return true;
  return false;
}

/**
 * With the turnstile held: a shared grant on the lock file (taking its shared lock unless this process's
 * readers hold it), `null` when a writer holds the lock, `undefined` when the file was replaced (try again).
 */
function joinReaders(table: LockTable, state: NameState): FileGrant | null | undefined {
  if (state.readers.size > 0 && state.file !== undefined) return grantOn(table, state, state.file, false);
  const file = state.file ?? table.openFile(state);
  if (!tryLockFd(file.fd, file.path, false)) return null;
  if (file.atPath()) return grantOn(table, state, file, false);
  unlockFd(file.fd, file.path);
  state.file = undefined;
  if (file.grants === 0) file.close();
  return undefined;
}

/**
 * Makes `state`'s grant on `file`, whose kernel lock this process now holds (exclusive, or shared with the
 * turnstile held): mints the token (read and write of the header; `minted` when the waiter process minted it
 * already, under the turnstile) and records the holder. If the token
 * cannot be written, a kernel lock nobody else here shares is given back before the error is thrown.
 * @internal
 */
export function grantOn(
  table: LockTable,
  state: NameState,
  file: LockFile,
  exclusive = true,
  minted?: bigint,
): FileGrant {
  let token: bigint;
  try {
    token = minted ?? mintToken(file, table.header, state.lastToken + 1n);
  } catch (error) {
    if (!state.holding) unlockFd(file.fd, file.path);
    throw LockBackendError.isInstance(error)
      ? error
      : new LockBackendError('file', 'mint a fencing token', {
          lockName: state.name,
          cause: error,
          detail: `${file.path}: ${error instanceof Error ? error.message : String(error)}`,
        });
  }
  table.watchDirectory();
  state.lastToken = token;
  const grant = new FileGrant(state, file, token, exclusive);
  if (exclusive) state.holder = grant;
  else state.readers.add(grant);
  return grant;
}
