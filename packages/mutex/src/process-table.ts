import { getEnvironmentData, isMainThread, setEnvironmentData } from 'node:worker_threads';
import { UnsupportedCapabilityError } from '@lock/core';
import { SharedTable } from './shared-table.js';

/** Environment-data key of the process's table of one shape; versioned with the table layout. */
const KEY_PREFIX = '@lock/mutex:process-table:v2';

// This thread's SharedTable views of the process tables, one per shape.
const opened = new Map<string, SharedTable>();

/**
 * The shared-mutex table of the process for a given capacity and ring size: one table for every thread.
 * The main thread creates it on first use and publishes its SharedArrayBuffer with `setEnvironmentData`;
 * every Worker started after that (and every Worker those start) receives it in its environment data and
 * opens the same memory. A worker never creates the process table: a table made there would be that
 * worker's alone, so without the published one it refuses with `UnsupportedCapabilityError`.
 * @internal
 */
export function processTable(capacity: number, maxThreads: number): SharedTable {
  const key = `${KEY_PREFIX}:${capacity}:${maxThreads}`;
  const known = opened.get(key);
  if (known !== undefined) return known;
  const published = getEnvironmentData(key);
  let table: SharedTable;
  if (published instanceof SharedArrayBuffer) {
    table = SharedTable.open({ buffer: published });
  } else if (isMainThread) {
    table = SharedTable.create(capacity, maxThreads);
    setEnvironmentData(key, table.buffer);
  } else {
    throw new UnsupportedCapabilityError(
      'shared-mutex',
      'scope "threads" in this worker',
      `this worker cannot see the process's shared-mutex table (capacity ${capacity}, maxThreads ${maxThreads}), so a lock made here would exclude nothing outside it. ` +
        `Create the provider (createProvider({ backend: 'shared-mutex' }) or a selector that uses it) in the main thread before starting workers: workers started afterwards find its table. ` +
        `Or post provider.handle to this worker and open it there with SharedMutexProvider.open(handle)`,
    );
  }
  opened.set(key, table);
  return table;
}
