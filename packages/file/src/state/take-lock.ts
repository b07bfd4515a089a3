import { LockBackendError } from '@lock/core';
import { tryLockFd, unlockFd } from '../kernel/kernel-lock.js';
import type { LockFile } from '../lock-file/lock-file.js';
import { mintToken } from '../lock-file/lock-file-header.js';
import { FileGrant } from './file-grant.js';
import type { LockTable } from './lock-table.js';
import type { NameState } from './name-state.js';

/** Files replaced under us in a row before an acquisition gives up (someone keeps replacing the file). */
const MAX_REPLACED = 8;

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
 * Makes `state`'s grant on `file`, whose kernel lock this process now holds: mints the token (read and write
 * of the header, under the lock) and records the holder. If the token cannot be written the kernel lock is
 * given back before the error is thrown.
 * @internal
 */
export function grantOn(table: LockTable, state: NameState, file: LockFile): FileGrant {
  let token: bigint;
  try {
    token = mintToken(file, table.header, state.lastToken + 1n);
  } catch (error) {
    unlockFd(file.fd, file.path);
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
  const grant = new FileGrant(state, file, token);
  state.holder = grant;
  return grant;
}
