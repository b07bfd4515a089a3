import * as v from 'valibot';

/**
 * A backend's settings schema: a strict object of `entries` (an unknown key is a problem, reported with the
 * closest known key) that is never an array (Valibot's object schemas take an array for an empty object).
 */
export function settingsObject<const Entries extends v.ObjectEntries>(
  entries: Entries,
  expected = 'an object',
) {
  const object = v.strictObject(entries, expected);
  const schema = v.pipe(
    // Typed as the object's input, so that the settings' input type stays what the entries accept.
    v.custom<v.InferInput<typeof object>>(
      (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
      expected,
    ),
    object,
  );
  // The entries stay at hand, as on any object schema, for settings composed from others (`v.pick`, spreads).
  return Object.assign(schema, { entries: object.entries });
}
