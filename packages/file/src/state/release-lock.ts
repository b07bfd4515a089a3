import { unlockFd } from '../kernel/kernel-lock.js';
import type { FileGrant } from './file-grant.js';
import type { LockTable } from './lock-table.js';
import { waitInKernel } from './wait-in-kernel.js';

/**
 * Releases `grant` if it is still this process's holder of its name: unlocks the kernel lock (the file stays
 * open for the next grant; a release never deletes the file, which would race with a process that has just
 * opened it), then lets the next waiter here line up in the kernel. `false` for a grant that was lost (its
 * file, dropped at the loss, is closed now) or already released.
 * @internal
 */
export function releaseLock(table: LockTable, grant: FileGrant): boolean {
  const state = grant.state;
  const file = grant.file;
  if (state.holder !== grant) {
    if (file !== state.file) file.close();
    return false;
  }
  state.holder = undefined;
  if (file !== state.file) file.close();
  else {
    try {
      unlockFd(file.fd, file.path);
    } catch {
      // Closing the file frees its lock for certain.
      table.dropFile(state);
    }
  }
  if (state.waiters.size > 0) waitInKernel(table, state);
  else table.settle(state);
  return true;
}
