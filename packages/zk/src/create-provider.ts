import { parseSettings } from '@lock/core';
import { zkKind } from './kind.js';
import type { ZooKeeperProviderConfig } from './zk-settings.js';
import type { ZooKeeperProvider } from './zookeeper-provider.js';

/**
 * Builds a {@link ZooKeeperProvider} from a JSON config (as `lock.config.json` holds it), e.g.
 * `{ "connectionString": "127.0.0.1:2181,127.0.0.1:2182", "sessionTimeoutMs": 6000 }`. Every setting is
 * checked by the kind's schema before any I/O; every problem is reported at once (`InvalidConfigError`, an
 * `InvalidArgumentError` naming the first: `config.sessionTimeoutMs`), an unknown key with the closest known
 * one.
 */
export function createProvider(config: ZooKeeperProviderConfig): ZooKeeperProvider {
  return zkKind.createProvider(parseSettings(zkKind.settings, config, 'config'));
}
