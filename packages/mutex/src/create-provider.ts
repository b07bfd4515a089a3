import { parseSettings, settingsObject } from '@lock/core';
import * as v from 'valibot';
import type { MutexProvider } from './in-process/mutex-provider.js';
import { mutexKind, mutexSettings, sharedMutexKind } from './kind.js';
import type { SharedMutexProvider } from './shared/shared-mutex-provider.js';
import { sharedMutexSettings } from './shared/shared-mutex-settings.js';

const BACKEND_EXPECTED = "'mutex' (the default) or 'shared-mutex'";

// One kind's settings beside the `backend` key that picks it: the kinds' own schemas, nothing restated.
const mutexConfig = settingsObject(
  { backend: v.optional(v.literal('mutex', BACKEND_EXPECTED)), ...mutexSettings.entries },
  'a configuration object',
);
const sharedMutexConfig = settingsObject(
  { backend: v.literal('shared-mutex', BACKEND_EXPECTED), ...sharedMutexSettings.entries },
  'a configuration object',
);

/**
 * JSON-friendly configuration of {@link createProvider}: `backend` picks the kind (`'mutex'`, the default,
 * or `'shared-mutex'`), and the rest are that kind's settings (`mutex` has none; `shared-mutex` takes
 * `capacity` and `maxThreads`). Unknown keys are errors.
 */
export type MutexConfig = v.InferInput<typeof mutexConfig> | v.InferInput<typeof sharedMutexConfig>;

/**
 * Builds a provider from a config object, as the `lock` CLI does. `'shared-mutex'` gives a provider on the
 * process's table for that capacity and maxThreads: the same table in every thread. The main thread creates
 * it on first use; a worker finds it if it was started after that, and otherwise refuses with
 * `UnsupportedCapabilityError` saying how to share it (never a lock that excludes nothing). A bad config is
 * an `InvalidConfigError` listing every problem, before anything is made.
 */
export function createProvider(config: MutexConfig & { backend: 'shared-mutex' }): SharedMutexProvider;
export function createProvider(config?: MutexConfig): MutexProvider | SharedMutexProvider;
export function createProvider(config: MutexConfig = {}): MutexProvider | SharedMutexProvider {
  if ((config as { backend?: unknown } | null)?.backend === 'shared-mutex') {
    const { backend: _kind, ...settings } = parseSettings(sharedMutexConfig, config, 'config');
    return sharedMutexKind.createProvider(settings) as SharedMutexProvider;
  }
  const { backend: _kind, ...settings } = parseSettings(mutexConfig, config, 'config');
  return mutexKind.createProvider(settings) as MutexProvider;
}
