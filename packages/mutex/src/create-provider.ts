import { InvalidArgumentError } from '@lock/core';
import { MutexProvider } from './mutex-provider.js';
import { processTable } from './process-table.js';
import { SharedMutexProvider } from './shared-mutex-provider.js';
import { DEFAULT_CAPACITY, DEFAULT_MAX_THREADS, SharedTable } from './shared-table.js';

/** JSON-friendly configuration of {@link createProvider}. */
export interface MutexConfig {
  /** `'mutex'` (one process, the default) or `'shared-mutex'` (all worker threads of a process). */
  backend?: 'mutex' | 'shared-mutex';
  /** `'shared-mutex'` only: named slots in the table. Default 256. */
  capacity?: number;
  /** `'shared-mutex'` only: most threads queued for one lock at once, a power of two. Default 64. */
  maxThreads?: number;
}

/**
 * Builds a provider from a config object, as the selector and the `lock` CLI do. `'shared-mutex'` gives a
 * provider on the process's table for that capacity and maxThreads: the same table in every thread. The
 * main thread creates it on first use; a worker finds it if it was started after that, and otherwise
 * refuses with `UnsupportedCapabilityError` saying how to share it (never a lock that excludes nothing).
 */
export function createProvider(config: MutexConfig & { backend: 'shared-mutex' }): SharedMutexProvider;
export function createProvider(config?: MutexConfig): MutexProvider | SharedMutexProvider;
export function createProvider(config: MutexConfig = {}): MutexProvider | SharedMutexProvider {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new InvalidArgumentError('config', config, 'a configuration object');
  }
  const backend = config.backend ?? 'mutex';
  if (backend !== 'mutex' && backend !== 'shared-mutex') {
    throw new InvalidArgumentError('config.backend', config.backend, "'mutex' or 'shared-mutex'");
  }
  for (const [key, value] of Object.entries(config)) {
    if (key === 'backend') continue;
    if (backend === 'mutex' || (key !== 'capacity' && key !== 'maxThreads')) {
      throw new InvalidArgumentError(
        `config.${key}`,
        value,
        backend === 'mutex'
          ? 'no such option for backend "mutex"'
          : 'a known option (backend, capacity, maxThreads)',
      );
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new InvalidArgumentError(`config.${key}`, value, 'an integer');
    }
  }
  if (backend === 'mutex') return new MutexProvider();
  const capacity = config.capacity ?? DEFAULT_CAPACITY;
  const maxThreads = config.maxThreads ?? DEFAULT_MAX_THREADS;
  SharedTable.validate(capacity, maxThreads); // bad values are named before a table is looked for
  return new SharedMutexProvider(processTable(capacity, maxThreads));
}
