import type { BackendKind } from '@lock/core';
import { settingsObject } from '@lock/core';
import * as v from 'valibot';
import { mutexCapabilities } from './in-process/mutex.js';
import { MutexProvider } from './in-process/mutex-provider.js';
import { sharedMutexCapabilities } from './shared/shared-mutex.js';
import { SharedMutexProvider } from './shared/shared-mutex-provider.js';
import { type SharedMutexProviderConfig, sharedMutexSettings } from './shared/shared-mutex-settings.js';
import { SharedTable } from './shared/shared-table.js';

/** Settings of the `mutex` kind: none (unknown keys are errors). */
export const mutexSettings = settingsObject({}, 'an object with no settings (the mutex kind has none)');

/** Validated settings of the `mutex` kind: an empty object. */
export type MutexProviderConfig = v.InferOutput<typeof mutexSettings>;

/** The in-process mutex: every lock of one `MutexProvider`, in one process. */
export const mutexKind: BackendKind<MutexProviderConfig> = {
  kind: 'mutex',
  summary: 'In-process FIFO mutex: one process, no I/O, fencing tokens, synchronous handoff',
  packageName: '@lock/mutex',
  install: 'npm install @lock/mutex',
  settings: mutexSettings,
  capabilities: mutexCapabilities,
  createProvider: () => new MutexProvider(),
  // Each provider is a world of its own, so there is nothing to tell apart: one address.
  address: () => 'mutex',
  defaultProfile: { acquireReleaseP50Ms: 0.0003, opsPerSec: 1_000_000, source: 'declared' },
  strongest: {},
};

/**
 * The shared mutex of the worker threads of one process: its provider uses the process's table for the
 * settings' shape, which the main thread must create before workers start (`prepareInMainThread`).
 */
export const sharedMutexKind: BackendKind<SharedMutexProviderConfig> = {
  kind: 'shared-mutex',
  summary:
    'Shared-memory FIFO mutex for the worker threads of one process (SharedArrayBuffer, fair, recovers from dead threads)',
  packageName: '@lock/mutex',
  install: 'npm install @lock/mutex',
  settings: sharedMutexSettings,
  capabilities: sharedMutexCapabilities,
  createProvider: (settings) =>
    new SharedMutexProvider(SharedTable.ofProcess(settings.capacity, settings.maxThreads)),
  // One process table per shape: two entries of the same shape are the same table.
  address: (settings) => `shared-mutex?capacity=${settings.capacity}&maxThreads=${settings.maxThreads}`,
  defaultProfile: { acquireReleaseP50Ms: 0.001, opsPerSec: 500_000, source: 'declared' },
  strongest: v.parse(sharedMutexSettings, {}),
  prepareInMainThread: true,
};

/** The kinds of this package, for the selector: `mutex` and `shared-mutex`. */
export const kinds = Object.freeze([mutexKind, sharedMutexKind] as const);
