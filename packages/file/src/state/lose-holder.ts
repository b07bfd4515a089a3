import type { LockTable } from './lock-table.js';
import type { NameState } from './name-state.js';
import { serveHead } from './wait-in-kernel.js';

/**
 * Checks that `state`'s lock file is still the file at its path, after a directory event or when a holder
 * looks at its lease. If it is not (deleted, replaced, the directory unmounted), a holder here has lost the
 * lock: anyone can now lock the file at the path. A waiter here lines up again for the file now there.
 * @internal
 */
export function checkFile(table: LockTable, state: NameState): void {
  const file = state.file;
  if (file === undefined || file.atPath()) return;
  if (state.holder !== undefined && state.holder.file === file) {
    loseHolder(table, state);
    return;
  }
  const waiting = state.kernelWait;
  table.dropFile(state);
  if (waiting) serveHead(table, state);
  else table.settle(state);
}

/**
 * This process's holder of `state` lost its lock (its file is no longer the one at the path): its lease's
 * signal aborts with `LockLostError` (reason `expired`), it stops being the holder here, and the next waiter
 * here is served. Its file stays open until the lease is released, so `inheritableFd` keeps naming it.
 * @internal
 */
export function loseHolder(table: LockTable, state: NameState): void {
  const grant = state.holder;
  if (grant === undefined) return;
  // Dropped while it is still the holder, so its file is kept open for the lease.
  if (state.file === grant.file) table.dropFile(state);
  state.holder = undefined;
  grant.lose?.(
    'expired',
    new Error(
      `the lock file ${grant.file.path} was deleted or replaced; it is no longer the file this lease locked`,
    ),
  );
  serveHead(table, state);
}
