import type { BackendKind } from '@lock/core';
import * as v from 'valibot';
import { withoutSlash } from './endpoints.js';
import { etcdCapabilities } from './etcd-capabilities.js';
import { EtcdProvider } from './etcd-provider.js';
import { type EtcdSettings, etcdSettings } from './etcd-settings.js';

/**
 * The `etcd` kind: what the selector, `lock.config.json` and the `lock` command know about this backend, all
 * from here. The lease length is the session's (`ttlMs`), so `lock run --ttl` sets that setting.
 */
export const etcdKind: EtcdKind = {
  kind: 'etcd',
  summary:
    "etcd: fenced, push-woken FIFO lock on etcd's own algorithm (excludes etcdctl lock), consensus durability",
  packageName: '@lock/etcd',
  install: 'npm install @lock/etcd etcd3',
  settings: etcdSettings,
  capabilities: etcdCapabilities,
  createProvider: (settings) => new EtcdProvider(settings),
  address: (settings) => settings.endpoints.map(withoutSlash).join(','),
  defaultProfile: { acquireReleaseP50Ms: 3.5, opsPerSec: 280, source: 'declared' },
  strongest: v.parse(etcdSettings, {
    endpoints: ['http://etcd-1:2379', 'http://etcd-2:2379', 'http://etcd-3:2379'],
  }),
  leaseSetting: 'ttlMs',
};

/** A `BackendKind` whose providers are {@link EtcdProvider}s. */
export type EtcdKind = Omit<BackendKind<EtcdSettings>, 'createProvider'> & {
  createProvider(settings: EtcdSettings): EtcdProvider;
};

/** The kinds this package implements, for the selector to pick from by `kind`. */
export const kinds: readonly BackendKind<EtcdSettings>[] = [etcdKind];
