import { InvalidArgumentError, integerSetting, settingsObject } from '@lock/core';
import * as v from 'valibot';

/** Default number of names a provider's table can hold. */
export const DEFAULT_TRY_LOCK_CAPACITY = 1024;

const CAPACITY_EXPECTED = 'an integer number of names from 1 to 1048576';

// The rule of a table's size, written once: the settings schema below and the table's constructor
// (validateTryLockCapacity) both check with it.
const capacityRule = v.pipe(
  integerSetting(1, 1 << 20, CAPACITY_EXPECTED),
  v.description('Names the table can hold: a name claims a slot for the table’s life.'),
);

/** Settings of the `trylock` kind, and the options of a `TryLockProvider`. Unknown keys are errors. */
export const tryLockSettings = settingsObject(
  { capacity: v.optional(capacityRule, DEFAULT_TRY_LOCK_CAPACITY) },
  'an object of trylock settings (capacity)',
);

/** Validated settings of the `trylock` kind (defaults filled in). */
export type TryLockProviderConfig = v.InferOutput<typeof tryLockSettings>;

/** Options of a `TryLockProvider`: `capacity`, the names its table can hold (default 1024). */
export type TryLockProviderOptions = v.InferInput<typeof tryLockSettings>;

/** Throws `InvalidArgumentError` for a capacity no table can have (the settings' own rule). */
export function validateTryLockCapacity(capacity: unknown): void {
  if (!v.is(capacityRule, capacity)) {
    throw new InvalidArgumentError('options.capacity', capacity, CAPACITY_EXPECTED);
  }
}
