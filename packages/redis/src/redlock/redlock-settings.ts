import { millisecondsSetting, settingsObject } from '@lock/core';
import * as v from 'valibot';
import { clientProblem } from '../shared/client-checks.js';
import {
  clientCertificateRule,
  hasSecurity,
  passwordSourceRule,
  securityFields,
} from '../shared/connection-security.js';
import { instanceListSetting } from '../shared/endpoint.js';
import { providerFields, renewEveryRule } from '../shared/provider-fields.js';
import type { RedisLockClient } from '../shared/redis-client.js';
import { settingRule } from '../shared/setting-rule.js';

const DRIFT_EXPECTED = 'a number from 0 to below 1 (0.01 is typical)';

/**
 * The settings of the `redlock` kind, as a configuration entry (`lock.config.json`) gives them: the independent
 * instances (`endpoints`: an odd number, none twice) and how its locks behave. One definition gives the
 * TypeScript type ({@link RedlockProviderConfig}), the validation and the JSON Schema; the provider's
 * constructor checks its options with the same fields and rules.
 */
export const redlockSettings = v.pipe(
  settingsObject({
    endpoints: v.pipe(
      instanceListSetting,
      v.description('The independent Redis instances: an odd number of redis:// URLs, none twice.'),
    ),
    ...redlockFields(),
  }),
  renewEveryRule(),
  passwordSourceRule(),
  clientCertificateRule(),
);

/** Settings of the `redlock` kind: what {@link redlockSettings} accepts. */
export type RedlockProviderConfig = v.InferOutput<typeof redlockSettings>;

/** The constructor options of a `RedlockProvider`: the same fields, with clients or endpoints. */
export const redlockOptionsSchema = v.pipe(
  settingsObject(
    {
      clients: v.optional(
        v.pipe(
          v.array(
            v.custom<RedisLockClient>(
              (client) => clientProblem(client) === undefined,
              (issue) => clientProblem(issue.input)!,
            ),
            'an array of ioredis clients',
          ),
          v.readonly(),
        ),
      ),
      endpoints: v.optional(v.pipe(instanceListSetting, v.readonly())),
      ...redlockFields(),
    },
    'an options object',
  ),
  renewEveryRule(),
  settingRule('clients', ['endpoints'], ({ clients, endpoints }) =>
    (clients === undefined) === (endpoints === undefined)
      ? 'exactly one of options.clients and options.endpoints'
      : undefined,
  ),
  passwordSourceRule(),
  clientCertificateRule(),
  // Clients you built carry their own TLS and credentials; these apply to connections the provider opens.
  settingRule('clients', ['tls', 'username', 'password', 'passwordFile'], (settings) =>
    settings.clients !== undefined && hasSecurity(settings)
      ? 'options.endpoints when tls, username, password or passwordFile is given (clients bring their own)'
      : undefined,
  ),
);

/** The Redlock drift factor when none is given: 1% of the TTL. */
export const DEFAULT_DRIFT_FACTOR = 0.01;

/** How long one instance may take to answer when none is given, for a TTL: a tenth of it, at least 50 ms. */
export function defaultInstanceTimeoutMs(ttlMs: number): number {
  return Math.max(50, Math.floor(ttlMs / 10));
}

/** The fields of a Redlock provider besides its instances: the same in a configuration and in code. */
function redlockFields() {
  return {
    ...providerFields(),
    driftFactor: v.optional(
      v.pipe(
        v.number(DRIFT_EXPECTED),
        v.minValue(0, DRIFT_EXPECTED),
        v.ltValue(1, DRIFT_EXPECTED),
        v.description('Clock drift allowed between instances, as a fraction of the TTL; default 0.01.'),
      ),
    ),
    instanceTimeoutMs: v.optional(
      v.pipe(
        millisecondsSetting(),
        v.description(
          'How long one instance may take to answer before its vote counts as an error, in ms; default ttlMs / 10 (at least 50).',
        ),
      ),
    ),
    ...securityFields(),
  };
}
