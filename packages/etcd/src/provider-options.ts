import { InvalidArgumentError, parseSettings } from '@lock/core';
import * as v from 'valibot';
import { withoutSlash } from './endpoints.js';
import type { EtcdClient } from './etcd-client.js';
import { type EtcdProviderConfig, type EtcdSettings, etcdSettings } from './etcd-settings.js';

/**
 * Options of an {@link EtcdProvider}: the settings of a configuration ({@link EtcdProviderConfig}), with a
 * client you built in place of `endpoints` if you like.
 */
export type EtcdProviderOptions = Omit<EtcdProviderConfig, 'endpoints'> & {
  /** etcd client URLs (`http://127.0.0.1:2379`); the provider creates and closes its own client. */
  endpoints?: readonly string[] | undefined;
  /**
   * A client you built (`new Etcd3(etcdClientOptions(endpoints, requestTimeoutMs, ttlMs))`); used as is and
   * never closed by the provider. Instead of `endpoints`.
   */
  client?: EtcdClient | undefined;
};

/** The options, checked, with defaults filled in. @internal */
export type ProviderSettings = Omit<EtcdSettings, 'endpoints'> & {
  /** Client URLs without a trailing `/`, when the provider builds its own client. */
  readonly endpoints: readonly string[] | undefined;
  /** The caller's client, when given instead of `endpoints`. */
  readonly client: EtcdClient | undefined;
};

/** The settings schema's entries, with `endpoints` optional beside a `client` (checked by hand: not JSON). */
const optionsSchema = v.strictObject(
  {
    ...etcdSettings.entries,
    endpoints: v.optional(etcdSettings.entries.endpoints),
    client: v.optional(v.unknown()),
  },
  'an options object such as { endpoints: ["http://127.0.0.1:2379"] } or { client }',
);

/**
 * Checks a provider's options before any I/O: the JSON settings by the schema every configuration is checked
 * by (so the words are the same, under `options`), the client by its shape.
 * @internal
 */
export function parseProviderOptions(options: EtcdProviderOptions): ProviderSettings {
  const { client, endpoints, ...settings } = parseSettings(optionsSchema, options, 'options');
  if (client !== undefined && !isEtcdClient(client)) {
    throw new InvalidArgumentError('options.client', client, 'an etcd3 client (new Etcd3({ hosts }))');
  }
  if (client !== undefined && (settings.tls !== undefined || settings.auth !== undefined)) {
    throw new InvalidArgumentError(
      settings.tls !== undefined ? 'options.tls' : 'options.auth',
      // Never the auth object itself: it holds the password, and an error keeps its value.
      settings.tls !== undefined ? settings.tls : { username: settings.auth?.username },
      'no tls or auth beside a client of your own (give them to new Etcd3({ credentials, auth }))',
    );
  }
  if (
    settings.tls !== undefined &&
    endpoints?.some((endpoint) => !endpoint.toLowerCase().startsWith('https:'))
  ) {
    throw new InvalidArgumentError(
      'options.tls',
      settings.tls,
      'tls only with https:// endpoints (the endpoints are http://, spoken in plain text)',
    );
  }
  if ((endpoints === undefined) === (client === undefined)) {
    throw new InvalidArgumentError(
      'options.endpoints',
      endpoints,
      'either endpoints or client, not both and not neither',
    );
  }
  return { ...settings, endpoints: endpoints?.map(withoutSlash), client };
}

function isEtcdClient(client: unknown): client is EtcdClient {
  return (
    typeof client === 'object' &&
    client !== null &&
    'kv' in client &&
    'leaseClient' in client &&
    'watchClient' in client
  );
}
