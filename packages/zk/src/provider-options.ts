import { InvalidArgumentError, parseSettings } from '@lock/core';
import * as v from 'valibot';
import { defaultClientFactory } from './default-client-factory.js';
import { type ZooKeeperProviderConfig, type ZooKeeperSettings, zkSettings } from './zk-settings.js';
import type { ZooKeeperClientFactory } from './zookeeper-client.js';

/**
 * Options of a {@link ZooKeeperProvider}: the settings of a configuration ({@link ZooKeeperProviderConfig}),
 * and how to make the native client.
 */
export type ZooKeeperProviderOptions = ZooKeeperProviderConfig & {
  /** Makes the native client; default: a `zookeeper` package client. Called once per session. */
  clientFactory?: ZooKeeperClientFactory | undefined;
};

/** The options, checked, with defaults filled in. @internal */
export type ProviderSettings = ZooKeeperSettings & { readonly clientFactory: ZooKeeperClientFactory };

/** The settings schema's entries beside a `clientFactory` (checked by hand: a function is not JSON). */
const optionsSchema = v.strictObject(
  { ...zkSettings.entries, clientFactory: v.optional(v.unknown()) },
  'an options object with a connectionString',
);

/**
 * Checks a provider's options before any I/O: the JSON settings by the schema every configuration is checked
 * by (so the words are the same, under `options`), the factory by its type.
 * @internal
 */
export function parseProviderOptions(options: ZooKeeperProviderOptions): ProviderSettings {
  const { clientFactory, ...settings } = parseSettings(optionsSchema, options, 'options');
  if (clientFactory !== undefined && typeof clientFactory !== 'function') {
    throw new InvalidArgumentError('options.clientFactory', clientFactory, 'a function returning a client');
  }
  return { ...settings, clientFactory: (clientFactory as ZooKeeperClientFactory) ?? defaultClientFactory };
}
