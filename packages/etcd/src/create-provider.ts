import { parseSettings } from '@lock/core';
import type { EtcdProvider } from './etcd-provider.js';
import type { EtcdProviderConfig } from './etcd-settings.js';
import { etcdKind } from './kind.js';

/**
 * Builds an {@link EtcdProvider} from a JSON config (as `lock.config.json` holds it), e.g.
 * `{ "endpoints": ["http://127.0.0.1:2379"], "ttlMs": 5000 }`. Every setting is checked by the kind's schema
 * before any I/O; every problem is reported at once (`InvalidConfigError`, an `InvalidArgumentError` naming
 * the first: `config.endpoints[1]`, `config.ttlMs`), an unknown key with the closest known one.
 */
export function createProvider(config: EtcdProviderConfig): EtcdProvider {
  return etcdKind.createProvider(parseSettings(etcdKind.settings, config, 'config'));
}
