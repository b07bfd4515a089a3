import { parseSettings, settingsObject } from '@lock/core';
import * as v from 'valibot';
import { redisKind, redlockKind } from './kind.js';
import type { RedisProvider } from './redis/redis-provider.js';
import type { RedisProviderConfig } from './redis/redis-settings.js';
import type { RedlockProvider } from './redlock/redlock-provider.js';
import { type RedlockProviderConfig, redlockSettings } from './redlock/redlock-settings.js';
import { renewEveryRule } from './shared/provider-fields.js';

/**
 * Builds a provider from a JSON config (as read from a config file): the settings of the `redis` kind make a
 * {@link RedisProvider}; `{ redlock: { endpoints, driftFactor?, instanceTimeoutMs? }, prefix?, ttlMs?,
 * renewEveryMs? }` makes a {@link RedlockProvider} (the shape this function has always taken for Redlock; a
 * configuration file says `"kind": "redlock"` instead). Every setting is checked before any connection is
 * made, and every problem is reported at once, each with its path (`config.redlock.endpoints[1]`): an
 * `InvalidConfigError`. The provider owns and closes its connections.
 */
export function createProvider(config: RedisProviderConfig): RedisProvider;
export function createProvider(config: RedlockConfig): RedlockProvider;
export function createProvider(config: RedisProviderConfig | RedlockConfig): RedisProvider | RedlockProvider;
export function createProvider(config: RedisProviderConfig | RedlockConfig): RedisProvider | RedlockProvider {
  if (typeof config === 'object' && config !== null && 'redlock' in config) {
    const { redlock, ...common } = parseSettings(redlockConfig, config, 'config');
    return redlockKind.createProvider({ ...common, ...redlock }) as RedlockProvider;
  }
  return redisKind.createProvider(parseSettings(redisKind.settings, config, 'config')) as RedisProvider;
}

/** `createProvider`'s Redlock shape: the `redlock` kind's settings, the instances' nested under `redlock`. */
const INSTANCE_FIELDS = ['endpoints', 'driftFactor', 'instanceTimeoutMs'] as const;
const redlockEntries = v.object(redlockSettings.pipe[0].entries);
const redlockConfig = v.pipe(
  settingsObject({
    redlock: settingsObject(v.pick(redlockEntries, INSTANCE_FIELDS).entries, 'an object with endpoints'),
    ...v.omit(redlockEntries, INSTANCE_FIELDS).entries,
  }),
  renewEveryRule(),
);

/** The config {@link createProvider} takes for Redlock. */
export type RedlockConfig = Omit<RedlockProviderConfig, (typeof INSTANCE_FIELDS)[number]> & {
  redlock: Pick<RedlockProviderConfig, (typeof INSTANCE_FIELDS)[number]>;
};
