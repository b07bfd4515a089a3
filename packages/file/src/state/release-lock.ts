import { unlockFd } from '../kernel/kernel-lock.js';
import type { FileGrant } from './file-grant.js';
import type { LockTable } from './lock-table.js';
import { advance } from './wait-in-kernel.js';

/**
 * Releases `grant` if it is still one of this process's grants of its name. The kernel lock is unlocked when
 * the last grant here goes (the exclusive one, or the last reader; the file stays open for the next grant: a
 * release never deletes the file, which would race with a process that has just opened it), then the line
 * here moves on. `false` for a grant that was lost (its file, dropped at the loss, is closed once its last
 * grant is released) or already released.
 * @internal
 */
export function releaseLock(table: LockTable, grant: FileGrant): boolean {
  const state = grant.state;
  const file = grant.file;
  const held = state.holds(grant);
  if (held) {
    if (grant.exclusive) state.holder = undefined;
    else state.readers.delete(grant);
  }
  file.grants--;
  if (file !== state.file) {
    if (file.grants === 0) file.close();
  } else if (held && !state.holding) {
    try {
      unlockFd(file.fd, file.path);
    } catch {
      // Closing the file frees its lock for certain.
      table.dropFile(state);
    }
  }
  if (!held) return false;
  advance(table, state);
  return true;
}
