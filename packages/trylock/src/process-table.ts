import { getEnvironmentData, isMainThread, setEnvironmentData } from 'node:worker_threads';
import { UnsupportedCapabilityError } from '@lock/core';
import { TryLockTable } from './try-lock-table.js';

/** Environment-data key of the process's table of one capacity; versioned with the table layout. */
const KEY_PREFIX = '@lock/trylock:process-table:v1';

// This thread's views of the process tables, one per capacity.
const opened = new Map<string, TryLockTable>();

/**
 * The trylock table of the process for a given capacity: one table for every thread. The main thread
 * creates it on first use and publishes its SharedArrayBuffer with `setEnvironmentData`; every Worker
 * started after that (and every Worker those start) receives it in its environment data and opens the same
 * memory. A worker never creates the process table: one made there would be that worker's alone, so
 * without the published one it refuses with `UnsupportedCapabilityError`.
 * @internal
 */
export function processTable(capacity: number): TryLockTable {
  const key = `${KEY_PREFIX}:${capacity}`;
  const known = opened.get(key);
  if (known !== undefined) return known;
  const published = getEnvironmentData(key);
  let table: TryLockTable;
  if (published instanceof SharedArrayBuffer) {
    table = TryLockTable.open({ buffer: published });
  } else if (isMainThread) {
    table = TryLockTable.create(capacity);
    setEnvironmentData(key, table.buffer);
  } else {
    throw new UnsupportedCapabilityError(
      'trylock',
      'scope "threads" in this worker',
      `this worker cannot see the process's trylock table (capacity ${capacity}), so a lock made here would exclude nothing outside it. ` +
        `Create the provider (createProvider() of @lock/trylock, or a selector that uses it) in the main thread before starting workers: workers started afterwards find its table. ` +
        `Or post provider.handle to this worker and open it there with TryLockProvider.open(handle)`,
    );
  }
  opened.set(key, table);
  return table;
}
