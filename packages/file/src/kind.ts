import type { BackendKind } from '@lock/core';
import { defaultLockDirectory } from './directory/lock-directory.js';
import { fileCapabilities } from './file-capabilities.js';
import { FileProvider } from './file-provider.js';
import { type FileSettings, fileSettings } from './file-settings.js';

/**
 * The `file` kind: kernel file locks in a per-user directory, shared by every process of the machine, with no
 * server and no configuration (`{ "kind": "file" }`). Embedded: nothing to prepare in the main thread.
 */
export const fileKind: FileKind = {
  kind: 'file',
  summary:
    'Kernel file lock: every process of this machine, no server; freed the moment its holder dies, fenced (like flock(1))',
  packageName: '@lock/file',
  install: 'npm install @lock/file',
  settings: fileSettings,
  capabilities: fileCapabilities,
  createProvider: (settings) => new FileProvider(settings),
  // One directory is one set of locks: its path is the address.
  address: (settings) => `file://${settings.directory ?? defaultLockDirectory()}`,
  defaultProfile: { acquireReleaseP50Ms: 0.005, opsPerSec: 150_000, source: 'declared' },
  strongest: {},
};

/** A `BackendKind` whose providers are {@link FileProvider}s. */
export type FileKind = Omit<BackendKind<FileSettings>, 'createProvider'> & {
  createProvider(settings: FileSettings): FileProvider;
};

/** The kinds this package implements, for the selector to pick from by `kind`. */
export const kinds: readonly BackendKind<FileSettings>[] = [fileKind];
