import { MAX_PERMITS } from '@lock/core';
import * as v from 'valibot';
import { DURABILITY_RANK, SCOPE_RANK } from '../capability-ranks.js';
import { EMBEDDED_KINDS } from '../kinds/catalog.js';

const positiveMs = v.pipe(
  v.number('a positive number of milliseconds'),
  v.finite('a positive number of milliseconds'),
  v.gtValue(0, 'a positive number of milliseconds'),
);
const positiveRate = v.pipe(
  v.number('a positive number of operations per second'),
  v.finite('a positive number of operations per second'),
  v.gtValue(0, 'a positive number of operations per second'),
);
const nonEmpty = (what: string) => v.pipe(v.string(what), v.trim(), v.nonEmpty(what));
const oneOf = (choices: readonly string[]) =>
  v.picklist(
    choices as [string, ...string[]],
    `one of ${choices.map((choice) => JSON.stringify(choice)).join(', ')}`,
  );

/** `schema`, refusing arrays first: Valibot's object and record schemas take an array for an empty object. */
function objectOnly<S extends v.GenericSchema<unknown, object>>(schema: S, what: string) {
  return v.pipe(
    v.custom<unknown>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), what),
    schema,
  );
}

/** The needs of a policy (every one optional) and the entry it may pin. */
export const policySchema = objectOnly(
  v.strictObject(
    {
      scope: v.optional(oneOf(Object.keys(SCOPE_RANK))),
      durability: v.optional(oneOf(Object.keys(DURABILITY_RANK))),
      fencing: v.optional(v.boolean('true or false')),
      blocking: v.optional(v.boolean('true or false')),
      maxLatencyMs: v.optional(positiveMs),
      minOpsPerSec: v.optional(positiveRate),
      mode: v.optional(oneOf(['exclusive', 'shared'])),
      permits: v.optional(
        v.pipe(
          v.number(`a whole number of permits from 1 to ${MAX_PERMITS}`),
          v.integer(`a whole number of permits from 1 to ${MAX_PERMITS}`),
          v.minValue(1, `a whole number of permits from 1 to ${MAX_PERMITS}`),
          v.maxValue(MAX_PERMITS, `a whole number of permits from 1 to ${MAX_PERMITS}`),
        ),
      ),
      backend: v.optional(nonEmpty('the name of a configured backend')),
    },
    'an object of needs',
  ),
  'an object of needs',
);

/** Speed figures a configuration declares for an entry. */
export const profileSchema = v.strictObject(
  {
    acquireReleaseP50Ms: positiveMs,
    opsPerSec: positiveRate,
    source: v.optional(oneOf(['benchmark', 'declared'])),
  },
  'an object { acquireReleaseP50Ms, opsPerSec }',
);

const clusterSchema = objectOnly(
  v.looseObject(
    { id: v.optional(nonEmpty('a non-empty cluster id')) },
    'an object with the cluster’s connection settings',
  ),
  'an object with the cluster’s connection settings',
);

/** The fields the selector reads from a backend entry; every other key is a setting of the entry's kind. */
export const entryFields = {
  kind: nonEmpty('the name of a kind of backend'),
  package: v.optional(nonEmpty('a package name or a path to a module that exports `kinds`')),
  id: v.optional(nonEmpty('a non-empty cluster id')),
  profile: v.optional(profileSchema),
  clusters: v.optional(
    v.pipe(
      v.array(clusterSchema, 'a non-empty array of cluster settings'),
      v.minLength(1, 'a non-empty array of cluster settings'),
    ),
  ),
  previousClusters: v.optional(
    v.pipe(
      v.array(clusterSchema, 'a non-empty array of cluster settings'),
      v.minLength(1, 'a non-empty array of cluster settings'),
    ),
  ),
  stableShards: v.optional(v.boolean('true or false')),
};

/** The names of the selector's own entry fields. */
export const ENTRY_FIELD_NAMES: readonly string[] = Object.keys(entryFields);

/** One backend entry, before its kind's settings are checked. */
export const entrySchema = objectOnly(
  v.looseObject(entryFields, 'a backend object with a "kind"'),
  'a backend object with a "kind"',
);

const builtinsSchema = v.union(
  [
    v.boolean(),
    objectOnly(
      v.strictObject(
        Object.fromEntries(EMBEDDED_KINDS.map((kind) => [kind, v.optional(v.boolean('true or false'))])),
      ),
      'an object',
    ),
  ],
  `true, false, or an object of embedded kinds (${EMBEDDED_KINDS.join(', ')}) to true or false`,
);

/** The configuration's shape; each entry's settings are checked by its kind afterwards. */
export const configSchema = objectOnly(
  v.strictObject(
    {
      $schema: v.optional(v.string('a JSON Schema URL or path')),
      backends: v.optional(
        objectOnly(
          v.record(v.string(), entrySchema, 'an object of backend entries by name'),
          'an object of backend entries by name',
        ),
      ),
      policies: v.optional(
        objectOnly(
          v.record(v.string(), policySchema, 'an object of needs by lock-name pattern'),
          'an object of needs by lock-name pattern',
        ),
      ),
      builtins: v.optional(builtinsSchema),
    },
    'a configuration object { backends, policies }',
  ),
  'a configuration object { backends, policies }',
);

export type ParsedConfig = v.InferOutput<typeof configSchema>;
