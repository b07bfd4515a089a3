import { InvalidArgumentError, integerSetting, settingsObject } from '@lock/core';
import * as v from 'valibot';

/** Default number of named slots in a provider's table. */
export const DEFAULT_CAPACITY = 256;
/** Default most threads that may queue for one lock at once (a power of two). */
export const DEFAULT_MAX_THREADS = 64;

const CAPACITY_EXPECTED = 'an integer number of slots from 1 to 1048576';
const MAX_THREADS_EXPECTED = 'a power of two from 2 to 4096';

// The two rules of a table's shape, each written once: the settings schema below and the table's
// constructor (validateTableShape) both check with them.
const capacityRule = v.pipe(
  integerSetting(1, 1 << 20, CAPACITY_EXPECTED),
  v.description(
    'Named slots in the table: how many names can be held or waited for at once. A name keeps its slot while idle until a new name needs one and no never-used slot is left.',
  ),
);
const maxThreadsRule = v.pipe(
  integerSetting(2, 4096, MAX_THREADS_EXPECTED),
  v.check((value) => (value & (value - 1)) === 0, MAX_THREADS_EXPECTED),
  v.description('Most threads that may queue for one lock at once: the size of each slot’s ticket ring.'),
);

/**
 * Settings of the `shared-mutex` kind, and the options of a `SharedMutexProvider`: the shape of its table.
 * Unknown keys are errors.
 */
export const sharedMutexSettings = settingsObject(
  {
    capacity: v.optional(capacityRule, DEFAULT_CAPACITY),
    maxThreads: v.optional(maxThreadsRule, DEFAULT_MAX_THREADS),
  },
  'an object of shared-mutex settings (capacity, maxThreads)',
);

/** Validated settings of the `shared-mutex` kind (defaults filled in). */
export type SharedMutexProviderConfig = v.InferOutput<typeof sharedMutexSettings>;

/** Options of a `SharedMutexProvider`: `capacity` (default 256) and `maxThreads` (default 64). */
export type SharedMutexProviderOptions = v.InferInput<typeof sharedMutexSettings>;

/** Throws `InvalidArgumentError` for a capacity or ring size no table can have (the settings' own rules). */
export function validateTableShape(capacity: unknown, maxThreads: unknown): void {
  if (!v.is(capacityRule, capacity)) {
    throw new InvalidArgumentError('options.capacity', capacity, CAPACITY_EXPECTED);
  }
  if (!v.is(maxThreadsRule, maxThreads)) {
    throw new InvalidArgumentError('options.maxThreads', maxThreads, MAX_THREADS_EXPECTED);
  }
}
