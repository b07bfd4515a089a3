import { InvalidArgumentError } from '@lock/core';
import { ZooKeeperProvider } from './zookeeper-provider.js';

/** The JSON-friendly configuration of {@link createProvider}. */
export interface ZooKeeperConfig {
  /** Servers, `host:port,host:port[/chroot]`. */
  connectionString: string;
  /** Requested session timeout in ms (default 10,000); the server may negotiate another. */
  sessionTimeoutMs?: number;
  /** Path under which locks live (default `/locks`). */
  root?: string;
  /** Longest wait for a session's first connection in ms (default 15,000). */
  connectTimeoutMs?: number;
}

const KEYS = new Set(['connectionString', 'sessionTimeoutMs', 'root', 'connectTimeoutMs', 'backend']);

/**
 * Builds a {@link ZooKeeperProvider} from a JSON-friendly config (as the selector and the `lock` CLI read
 * from a file), e.g. `{ "connectionString": "127.0.0.1:2181,127.0.0.1:2182", "sessionTimeoutMs": 6000 }`.
 * Throws `InvalidArgumentError` naming the field (`config.sessionTimeoutMs`) before any I/O.
 */
export function createProvider(config: ZooKeeperConfig): ZooKeeperProvider {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new InvalidArgumentError(
      'config',
      config,
      'an object such as { "connectionString": "127.0.0.1:2181" }',
    );
  }
  for (const key of Object.keys(config)) {
    if (!KEYS.has(key)) {
      throw new InvalidArgumentError(
        `config.${key}`,
        (config as unknown as Record<string, unknown>)[key],
        `one of ${[...KEYS].join(', ')}`,
      );
    }
  }
  const rename = (error: unknown): never => {
    if (InvalidArgumentError.isInstance(error) && error.parameter.startsWith('options.')) {
      throw new InvalidArgumentError(
        `config.${error.parameter.slice('options.'.length)}`,
        error.value,
        error.expected,
      );
    }
    throw error;
  };
  try {
    return new ZooKeeperProvider({
      connectionString: config.connectionString,
      sessionTimeoutMs: config.sessionTimeoutMs,
      root: config.root,
      connectTimeoutMs: config.connectTimeoutMs,
    });
  } catch (error) {
    return rename(error);
  }
}
