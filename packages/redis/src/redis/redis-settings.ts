import { integerSetting, millisecondsSetting, settingsObject } from '@lock/core';
import type { RedisOptions } from 'ioredis';
import * as v from 'valibot';
import { clientProblem, isClusterClient } from '../shared/client-checks.js';
import {
  clientCertificateRule,
  hasSecurity,
  passwordSourceRule,
  securityFields,
} from '../shared/connection-security.js';
import { ENDPOINT_EXPECTED, endpointSetting } from '../shared/endpoint.js';
import { DEFAULT_TTL_MS } from '../shared/lease-ttl.js';
import { providerFields, renewEveryRule } from '../shared/provider-fields.js';
import type { RedisLockClient } from '../shared/redis-client.js';
import { settingRule } from '../shared/setting-rule.js';

/** How long a fence counter may be retained at most: ten years is "forever" in all but name. */
export const MAX_RETENTION_MS = 10 * 365 * 24 * 3600 * 1000;

/**
 * The settings of the `redis` kind, as a configuration entry (`lock.config.json`) or `createProvider(config)`
 * gives them: where the server is (`url`, or `host` and `port`) and how its locks behave. One definition gives
 * the TypeScript type ({@link RedisProviderConfig}), the validation (every problem with its JSON path) and the
 * JSON Schema. The provider's constructor checks its options with the same fields and rules.
 */
export const redisSettings = v.pipe(
  withLockRules(
    settingsObject({
      url: v.optional(
        v.pipe(endpointSetting, v.description('The Redis server, e.g. redis://127.0.0.1:6379/0.')),
      ),
      host: v.optional(
        v.pipe(
          v.string('a host name or address'),
          v.nonEmpty('a host name or address'),
          v.description('The server host, instead of url.'),
        ),
      ),
      port: v.optional(
        v.pipe(
          integerSetting(1, 65_535, 'an integer port from 1 to 65535'),
          v.description('The server port, with host; default 6379.'),
        ),
      ),
      ...lockFields(),
    }),
  ),
  passwordSourceRule(),
  clientCertificateRule(),
  settingRule('url', ['host', 'port'], ({ url, host }) =>
    url === undefined && host === undefined ? `${ENDPOINT_EXPECTED}, or host and port` : undefined,
  ),
  settingRule('host', ['url'], ({ url, host }) =>
    url !== undefined && host !== undefined ? 'absent when url is given' : undefined,
  ),
  settingRule('port', ['url'], ({ url, port }) =>
    url !== undefined && port !== undefined ? 'absent when url is given' : undefined,
  ),
);

/** Settings of the `redis` kind: what {@link redisSettings} accepts. */
export type RedisProviderConfig = v.InferOutput<typeof redisSettings>;

/**
 * The constructor options of a `RedisProvider`, checked by the same fields and rules as the settings: the
 * connection is a client or what to connect to instead of a URL.
 */
export const redisOptionsSchema = v.pipe(
  withLockRules(
    settingsObject(
      {
        client: v.optional(
          v.custom<RedisLockClient>(
            (client) => clientProblem(client) === undefined,
            (issue) => clientProblem(issue.input)!,
          ),
        ),
        connection: v.optional(
          v.custom<string | RedisOptions>(
            (connection) =>
              typeof connection === 'string' || (typeof connection === 'object' && connection !== null),
            'a redis:// URL or ioredis options',
          ),
        ),
        ...lockFields(),
      },
      'an options object',
    ),
  ),
  passwordSourceRule(),
  clientCertificateRule(),
  settingRule('client', ['connection'], ({ client, connection }) =>
    (client === undefined) === (connection === undefined)
      ? 'exactly one of options.client and options.connection'
      : undefined,
  ),
  // A client you built carries its own TLS and credentials; these apply to connections the provider opens.
  settingRule('client', ['tls', 'username', 'password', 'passwordFile'], (settings) =>
    settings.client !== undefined && hasSecurity(settings)
      ? 'options.connection when tls, username, password or passwordFile is given (a client brings its own)'
      : undefined,
  ),
  // WAIT counts the writes of one connection to one primary; a Cluster client has no such connection.
  settingRule('waitReplicas', ['client'], ({ waitReplicas = 0, client }) =>
    waitReplicas > 0 && isClusterClient(client)
      ? '0 with a Cluster client (WAIT needs the connection that made the write)'
      : undefined,
  ),
);

/** Re-check interval of a waiter when none is given, for a TTL: a tenth of it, at most a second. */
export function defaultRecheckMs(ttlMs: number): number {
  return Math.max(1, Math.min(1000, Math.floor(ttlMs / 10)));
}

/** The fields of a Redis provider besides its connection: the same in a configuration and in code. */
function lockFields() {
  return {
    ...providerFields(),
    recheckMs: v.optional(
      v.pipe(
        millisecondsSetting(),
        v.description(
          "A waiter's fallback re-check in ms; default min(1000, ttlMs / 10), at most a quarter of the TTL.",
        ),
      ),
    ),
    waitReplicas: v.optional(
      v.pipe(
        integerSetting(0, Number.MAX_SAFE_INTEGER, 'a non-negative integer count of replicas'),
        v.description('Replicas that must acknowledge each grant (WAIT); default 0.'),
      ),
    ),
    waitTimeoutMs: v.optional(
      v.pipe(millisecondsSetting(), v.description('How long WAIT may take, in ms; default 1000.')),
    ),
    commandTimeoutMs: v.optional(
      v.pipe(
        millisecondsSetting(),
        v.description('The longest a call waits for a Redis reply, in ms; default 3000.'),
      ),
    ),
    fenceRetentionMs: v.optional(
      v.pipe(
        integerSetting(
          1,
          MAX_RETENTION_MS,
          `a whole number of ms from 1 to ${MAX_RETENTION_MS} (omit it to keep fence counters forever)`,
        ),
        v.description(
          "Fence counters expire this long after their latest grant's TTL, in ms; default: kept forever.",
        ),
      ),
    ),
    ...securityFields(),
  };
}

/** The rules between the lock fields: renewal at most half the TTL, re-check at most a quarter of it. */
function withLockRules<T extends LockFieldValues>(schema: v.GenericSchema<unknown, T>) {
  return v.pipe(
    schema,
    renewEveryRule<T>(),
    settingRule<T>('recheckMs', ['ttlMs'], ({ recheckMs, ttlMs = DEFAULT_TTL_MS }) =>
      recheckMs !== undefined && recheckMs * 4 > ttlMs ? `at most a quarter of ttlMs (${ttlMs})` : undefined,
    ),
  );
}

interface LockFieldValues {
  readonly ttlMs?: number | undefined;
  readonly renewEveryMs?: number | undefined;
  readonly recheckMs?: number | undefined;
}
