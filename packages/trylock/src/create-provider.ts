import { parseSettings } from '@lock/core';
import { tryLockKind } from './kind.js';
import type { TryLockProvider } from './try-lock-provider.js';
import { type TryLockProviderOptions, tryLockSettings } from './try-lock-settings.js';

/**
 * Builds a {@link TryLockProvider} from a config object (the `trylock` kind's settings: `capacity`), as the
 * `lock` CLI does, on the process's table for that capacity: the same table in every thread. The main thread
 * creates it on first use; a worker finds it if it was started after that, and otherwise refuses with
 * `UnsupportedCapabilityError` saying how to share it (never a threads-scoped lock that excludes nothing). A
 * bad config is an `InvalidConfigError` listing every problem, before anything is made.
 */
export function createProvider(config: TryLockProviderOptions = {}): TryLockProvider {
  return tryLockKind.createProvider(parseSettings(tryLockSettings, config, 'config')) as TryLockProvider;
}
