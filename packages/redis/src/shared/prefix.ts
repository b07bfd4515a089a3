import * as v from 'valibot';

/** Key prefix when none is given. */
export const DEFAULT_PREFIX = 'lock:';

/** What a key prefix must be: braces would move the cluster hash tag that keeps a lock's keys in one slot. */
export const PREFIX_EXPECTED = 'a string without { or } (they would move the cluster hash tag)';

/** The key prefix (namespace) of a provider's locks. */
export const prefixSetting = v.pipe(
  v.string(PREFIX_EXPECTED),
  v.check((prefix) => !/[{}]/.test(prefix), PREFIX_EXPECTED),
);
