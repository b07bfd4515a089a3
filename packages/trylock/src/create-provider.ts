import { InvalidArgumentError } from '@lock/core';
import { processTable } from './process-table.js';
import { TryLockProvider } from './try-lock-provider.js';
import { DEFAULT_TRY_LOCK_CAPACITY } from './try-lock-table.js';

/** JSON-friendly configuration of {@link createProvider}. */
export interface TryLockConfig {
  /** Names the provider's table can hold. Default 1024. */
  capacity?: number | undefined;
}

/**
 * Builds a {@link TryLockProvider} from a config object (as the selector and the `lock` CLI do), on the
 * process's table for that capacity: the same table in every thread. The main thread creates it on first
 * use; a worker finds it if it was started after that, and otherwise refuses with
 * `UnsupportedCapabilityError` saying how to share it (never a threads-scoped lock that excludes nothing).
 */
export function createProvider(config: TryLockConfig = {}): TryLockProvider {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new InvalidArgumentError('config', config, 'a configuration object');
  }
  const unknown = Object.keys(config).filter((key) => key !== 'capacity');
  if (unknown.length > 0)
    throw new InvalidArgumentError(
      `config.${unknown[0]}`,
      (config as Record<string, unknown>)[unknown[0]!],
      'no such option (a trylock takes only capacity)',
    );
  const { capacity } = config;
  if (capacity !== undefined && (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 20)) {
    throw new InvalidArgumentError(
      'config.capacity',
      capacity,
      'an integer number of names from 1 to 1048576',
    );
  }
  return new TryLockProvider(processTable(capacity ?? DEFAULT_TRY_LOCK_CAPACITY));
}
