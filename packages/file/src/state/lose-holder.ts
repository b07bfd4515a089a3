import type { FileGrant } from './file-grant.js';
import type { LockTable } from './lock-table.js';
import type { NameState } from './name-state.js';
import { serveHead } from './wait-in-kernel.js';

/**
 * Checks that `state`'s lock file is still the file at its path, after a directory event or when a holder
 * looks at its lease. If it is not (deleted, replaced, the directory unmounted), the holders here have lost
 * the lock: anyone can now lock the file at the path. A waiter here lines up again for the file now there.
 * @internal
 */
export function checkFile(table: LockTable, state: NameState): void {
  const file = state.file;
  if (file === undefined || file.atPath()) return;
  if (state.holding) {
    loseHolder(table, state);
    return;
  }
  const waiting = state.kernelWait;
  table.dropFile(state);
  if (waiting) serveHead(table, state);
  else table.settle(state);
}

/**
 * This process's holders of `state` (the exclusive one, or every reader) lost the lock (their file is no
 * longer the one at the path): each lease's signal aborts with `LockLostError` (reason `expired`), they stop
 * being holders here, and the next waiter here is served. Their file stays open until their leases are
 * released, so `inheritableFd` keeps naming it.
 * @internal
 */
export function loseHolder(table: LockTable, state: NameState): void {
  const lost: FileGrant[] = state.holder !== undefined ? [state.holder] : [...state.readers];
  if (lost.length === 0) return;
  // Dropped while they still hold, so their file is kept open for the leases.
  table.dropFile(state);
  state.holder = undefined;
  state.readers.clear();
  for (const grant of lost) {
    grant.lose?.(
      'expired',
      new Error(
        `the lock file ${grant.file.path} was deleted or replaced; it is no longer the file this lease locked`,
      ),
    );
  }
  serveHead(table, state);
}
