import type { BackendKind } from '@lock/core';
import * as v from 'valibot';
import { tryLockCapabilities } from './try-lock-adapter.js';
import { TryLockProvider } from './try-lock-provider.js';
import { type TryLockProviderConfig, tryLockSettings } from './try-lock-settings.js';
import { TryLockTable } from './try-lock-table.js';

/**
 * The trylock of the worker threads of one process: its provider uses the process's table for the
 * settings' capacity, which the main thread must create before workers start (`prepareInMainThread`).
 */
export const tryLockKind: BackendKind<TryLockProviderConfig> = {
  kind: 'trylock',
  summary:
    'Non-blocking trylock for the worker threads of one process: one compare-and-swap, never waits, fencing tokens',
  packageName: '@lock/trylock',
  install: 'npm install @lock/trylock',
  settings: tryLockSettings,
  capabilities: tryLockCapabilities,
  createProvider: (settings) => new TryLockProvider(TryLockTable.ofProcess(settings.capacity)),
  // One process table per capacity: two entries of the same capacity are the same table.
  address: (settings) => `trylock?capacity=${settings.capacity}`,
  defaultProfile: { acquireReleaseP50Ms: 0.0008, opsPerSec: 500_000, source: 'declared' },
  strongest: v.parse(tryLockSettings, {}),
  prepareInMainThread: true,
};

/** The kinds of this package, for the selector: `trylock`. */
export const kinds = Object.freeze([tryLockKind] as const);
