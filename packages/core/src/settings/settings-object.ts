import * as v from 'valibot';

/**
 * A backend's settings schema: a strict object of `entries` (an unknown key is a problem, reported with the
 * closest known key) that is never an array (Valibot's object schemas take an array for an empty object).
 */
export function settingsObject<const Entries extends v.ObjectEntries>(
  entries: Entries,
  expected = 'an object of settings',
) {
  return v.pipe(
    v.custom<unknown>(
      (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
      expected,
    ),
    v.strictObject(entries, expected),
  );
}
