import type { BackendKind } from '@lock/core';
import { postgresCapabilities } from './postgres-capabilities.js';
import { PostgresProvider } from './postgres-provider.js';
import { type PostgresSettings, postgresSettings, settingsAddress } from './postgres-settings.js';

/**
 * The `postgres` kind: what the selector, `lock.config.json` and the `lock` command know about this backend,
 * all from here. The lease length is the session's (`ttlMs`), so `lock run --ttl` sets that setting.
 */
export const postgresKind: PostgresKind = {
  kind: 'postgres',
  summary:
    'PostgreSQL advisory locks: fenced, push-woken FIFO lock on the database you already run (single-node: a failover loses locks)',
  packageName: '@lock/postgres',
  install: 'npm install @lock/postgres pg',
  settings: postgresSettings,
  capabilities: postgresCapabilities,
  createProvider: (settings) => new PostgresProvider(settings),
  // The server and database, never the password; the namespace is part of which locks these are.
  address: (settings) =>
    settings.namespace === ''
      ? settingsAddress(settings)
      : `${settingsAddress(settings)}#${settings.namespace}`,
  defaultProfile: { acquireReleaseP50Ms: 0.4, opsPerSec: 2_500, source: 'declared' },
  strongest: {
    url: 'postgres://primary:5432/app',
    namespace: '',
    fenceSequence: 'lock_fence',
    ttlMs: 10_000,
    connectTimeoutMs: 5_000,
  },
  leaseSetting: 'ttlMs',
};

/** A `BackendKind` whose providers are {@link PostgresProvider}s. */
export type PostgresKind = Omit<BackendKind<PostgresSettings>, 'createProvider'> & {
  createProvider(settings: PostgresSettings): PostgresProvider;
};

/** The kinds this package implements, for the selector to pick from by `kind`. */
export const kinds: readonly BackendKind<PostgresSettings>[] = [postgresKind];
