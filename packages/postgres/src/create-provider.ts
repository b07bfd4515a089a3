import { parseSettings } from '@lock/core';
import { postgresKind } from './kind.js';
import type { PostgresProvider } from './postgres-provider.js';
import type { PostgresProviderConfig } from './postgres-settings.js';

/**
 * Builds a {@link PostgresProvider} from a JSON config (as `lock.config.json` holds it), e.g.
 * `{ "url": "postgres://app@127.0.0.1:5432/app", "ttlMs": 5000 }`. Every setting is checked by the kind's
 * schema before any I/O; every problem is reported at once (`InvalidConfigError`, an `InvalidArgumentError`
 * naming the first: `config.port`, `config.ttlMs`), an unknown key with the closest known one.
 */
export function createProvider(config: PostgresProviderConfig = {}): PostgresProvider {
  return postgresKind.createProvider(parseSettings(postgresKind.settings, config, 'config'));
}
