import type { BackendKind } from '@lock/core';
import * as v from 'valibot';
import { zkCapabilities } from './zk-capabilities.js';
import { type ZooKeeperSettings, zkSettings } from './zk-settings.js';
import { ZooKeeperProvider } from './zookeeper-provider.js';

/**
 * The `zk` kind: what the selector, `lock.config.json` and the `lock` command know about this backend, all
 * from here. The lease length is the session's (`sessionTimeoutMs`), so `lock run --ttl` sets that setting.
 */
export const zkKind: ZooKeeperKind = {
  kind: 'zk',
  summary:
    "ZooKeeper: Curator's fenced, push-woken FIFO lock (protected ephemeral-sequential nodes), consensus with an ensemble",
  packageName: '@lock/zk',
  install: 'npm install @lock/zk zookeeper',
  settings: zkSettings,
  capabilities: zkCapabilities,
  createProvider: (settings) => new ZooKeeperProvider(settings),
  address: (settings) => settings.connectionString,
  defaultProfile: { acquireReleaseP50Ms: 3.2, opsPerSec: 300, source: 'declared' },
  // An ensemble of three: consensus durability.
  strongest: v.parse(zkSettings, { connectionString: 'zk-1:2181,zk-2:2181,zk-3:2181' }),
  leaseSetting: 'sessionTimeoutMs',
};

/** A `BackendKind` whose providers are {@link ZooKeeperProvider}s. */
export type ZooKeeperKind = Omit<BackendKind<ZooKeeperSettings>, 'createProvider'> & {
  createProvider(settings: ZooKeeperSettings): ZooKeeperProvider;
};

/** The kinds this package implements, for the selector to pick from by `kind`. */
export const kinds: readonly BackendKind<ZooKeeperSettings>[] = [zkKind];
