import { millisecondsSetting, validateLeaseTtl, validateRenewEvery } from '@lock/core';
import * as v from 'valibot';
import { DEFAULT_TTL_MS, REDIS_TTL_RULE } from './lease-ttl.js';
import { prefixSetting } from './prefix.js';
import { expectedBy, expectedOf, settingRule } from './setting-rule.js';

/**
 * The settings every Redis and Redlock provider has: key prefix, default lease length and renewal interval, with
 * the rule between the last two ({@link renewEveryRule}).
 */
export function providerFields() {
  return {
    prefix: v.optional(v.pipe(prefixSetting, v.description("Key prefix (namespace); default 'lock:'."))),
    ttlMs: v.optional(
      v.pipe(leaseTtlSetting, v.description('Default lease length in ms (from 100); default 30000.')),
    ),
    renewEveryMs: v.optional(
      v.pipe(
        millisecondsSetting(),
        v.description('Renewal interval in ms; default a third of the TTL, at most half of it.'),
      ),
    ),
  };
}

/** Core's words for the lease lengths of {@link REDIS_TTL_RULE}, as its own check says them. */
const LEASE_EXPECTED = expectedOf(() => validateLeaseTtl('ttlMs', 0, REDIS_TTL_RULE)) ?? 'a lease length';

/**
 * A provider's default lease length as a setting: a whole number (so the JSON Schema says `integer`) that core's
 * own check of {@link REDIS_TTL_RULE} accepts, in core's words, so a configuration and `lock(name, { ttlMs })`
 * say the same.
 */
export const leaseTtlSetting = v.pipe(
  v.number(LEASE_EXPECTED),
  v.integer(LEASE_EXPECTED),
  expectedBy<number>((ttlMs) => validateLeaseTtl('ttlMs', ttlMs, REDIS_TTL_RULE)),
);

/** The settings every Redis and Redlock provider has that the renewal rule reads. */
interface LeaseSettings {
  readonly ttlMs?: number | undefined;
  readonly renewEveryMs?: number | undefined;
}

/**
 * Core's renewal rule (at most half the TTL, so a failed renewal can be retried before the lease expires)
 * against the provider's TTL or its default, in core's words.
 */
export function renewEveryRule<T extends LeaseSettings>(): v.RawCheckAction<T> {
  return settingRule<T>('renewEveryMs', ['ttlMs'], ({ renewEveryMs, ttlMs }) => {
    if (renewEveryMs === undefined) return undefined;
    return expectedOf(() => validateRenewEvery(renewEveryMs, ttlMs ?? DEFAULT_TTL_MS));
  });
}
