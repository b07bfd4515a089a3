import { InvalidArgumentError, validateOptionsObject } from '@lock/core';
import { parseEndpoint } from './endpoint.js';
import { RedisLockProvider } from './redis-lock-provider.js';
import { RedlockProvider } from './redlock-provider.js';

/** JSON-friendly configuration for {@link createProvider} (as read from a config file). */
export interface RedisProviderConfig {
  /** `redis://host:port[/db]`. Give this, or `host`/`port`, or `redlock`. */
  url?: string;
  host?: string;
  /** Default 6379. */
  port?: number;
  /** Key prefix; default `'lock:'`. */
  prefix?: string;
  /** Default lease length in ms; default 30,000. */
  ttlMs?: number;
  /** Renewal interval in ms; default a third of the TTL. */
  renewEveryMs?: number;
  /** Waiter fallback re-check in ms; default `min(1000, ttlMs / 10)`. */
  recheckMs?: number;
  /** Replicas that must acknowledge each grant (`WAIT`); default 0. */
  waitReplicas?: number;
  /** `WAIT` timeout in ms; default 1,000. */
  waitTimeoutMs?: number;
  /** The longest a call waits for a Redis reply, in ms; default 3,000. */
  commandTimeoutMs?: number;
  /** Fence counters expire this long after their latest grant's TTL, in ms; default: kept forever. */
  fenceRetentionMs?: number;
  /** Redlock over independent instances instead of one server. */
  redlock?: { endpoints: string[]; driftFactor?: number; instanceTimeoutMs?: number };
}

const REDLOCK_FIELDS = new Set(['endpoints', 'driftFactor', 'instanceTimeoutMs']);

const KNOWN = new Set([
  'url',
  'host',
  'port',
  'prefix',
  'ttlMs',
  'renewEveryMs',
  'recheckMs',
  'waitReplicas',
  'waitTimeoutMs',
  'commandTimeoutMs',
  'fenceRetentionMs',
  'redlock',
  'backend',
]);

/**
 * Builds a provider from a JSON config: a {@link RedisLockProvider} for `url` or `host`/`port`, a
 * {@link RedlockProvider} for `redlock.endpoints`. Every field is checked before any connection is made;
 * errors name the field (`config.redlock.endpoints[1]`). The provider owns and closes its connections.
 */
export function createProvider(config: RedisProviderConfig): RedisLockProvider | RedlockProvider {
  validateOptionsObject('config', config);
  if (config === undefined) throw new InvalidArgumentError('config', config, 'a config object');
  for (const key of Object.keys(config)) {
    if (!KNOWN.has(key))
      throw new InvalidArgumentError(
        `config.${key}`,
        (config as Record<string, unknown>)[key],
        'no such field',
      );
  }
  const common = { prefix: config.prefix, ttlMs: config.ttlMs, renewEveryMs: config.renewEveryMs };
  if (config.redlock !== undefined) {
    validateOptionsObject('config.redlock', config.redlock);
    if (config.url !== undefined || config.host !== undefined)
      throw new InvalidArgumentError(
        'config.url',
        config.url ?? config.host,
        'absent when config.redlock is given',
      );
    if (config.waitReplicas !== undefined)
      throw new InvalidArgumentError('config.waitReplicas', config.waitReplicas, 'absent in Redlock mode');
    if (config.fenceRetentionMs !== undefined)
      throw new InvalidArgumentError(
        'config.fenceRetentionMs',
        config.fenceRetentionMs,
        'absent in Redlock mode (it does not fence)',
      );
    if (config.commandTimeoutMs !== undefined)
      throw new InvalidArgumentError(
        'config.commandTimeoutMs',
        config.commandTimeoutMs,
        'absent in Redlock mode (use config.redlock.instanceTimeoutMs)',
      );
    const endpoints = config.redlock.endpoints;
    if (!Array.isArray(endpoints))
      throw new InvalidArgumentError('config.redlock.endpoints', endpoints, 'an array of redis:// URLs');
    for (const [index, endpoint] of endpoints.entries())
      parseEndpoint(endpoint, `config.redlock.endpoints[${index}]`);
    return renamed(
      (field) =>
        REDLOCK_FIELDS.has(field.split(/[.[]/)[0]!) ? `config.redlock.${field}` : `config.${field}`,
      () => new RedlockProvider({ ...common, ...config.redlock, endpoints }),
    );
  }
  let url: string;
  if (config.url !== undefined) {
    if (config.host !== undefined || config.port !== undefined)
      throw new InvalidArgumentError(
        'config.host',
        config.host ?? config.port,
        'absent when config.url is given',
      );
    parseEndpoint(config.url, 'config.url');
    url = config.url;
  } else {
    if (typeof config.host !== 'string' || config.host === '')
      throw new InvalidArgumentError(
        'config.url',
        config.url,
        'a redis:// URL (or config.host and config.port)',
      );
    const port = config.port ?? 6379;
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new InvalidArgumentError('config.port', config.port, 'an integer port from 1 to 65535');
    url = `redis://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  }
  return renamed(
    (field) => `config.${field}`,
    () =>
      new RedisLockProvider({
        ...common,
        recheckMs: config.recheckMs,
        waitReplicas: config.waitReplicas,
        waitTimeoutMs: config.waitTimeoutMs,
        commandTimeoutMs: config.commandTimeoutMs,
        fenceRetentionMs: config.fenceRetentionMs,
        connection: url,
      }),
  );
}

/** Reports option errors with the config path (`config.ttlMs`) instead of the constructor's (`options.ttlMs`). */
function renamed<T>(path: (field: string) => string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (InvalidArgumentError.isInstance(error) && error.parameter.startsWith('options.')) {
      throw new InvalidArgumentError(
        path(error.parameter.slice('options.'.length)),
        error.value,
        error.expected,
      );
    }
    throw error;
  }
}
