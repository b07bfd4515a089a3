import type { BackendKind } from '@lock/core';
import { type ConversionConfig, toJsonSchema } from '@valibot/to-json-schema';
import { EMBEDDED_KINDS } from '../kinds/catalog.js';
import { policySchema, profileSchema } from './selector-schema.js';

type JsonSchema = Record<string, unknown>;

/** Valibot actions with no JSON Schema form (trimming, say) are left out: the schema checks a little less. */
const CONVERSION: ConversionConfig = { errorMode: 'ignore' };

/**
 * The JSON Schema of `lock.config.json` for the given kinds: the selector's own fields, and for each kind an
 * entry whose settings are the kind's settings schema, so editors complete and check a configuration through
 * its `"$schema"`. An entry of a kind not among them is accepted when it names its `package`.
 */
export function configJsonSchema(kinds: readonly BackendKind[]): JsonSchema {
  const known = kinds.map((kind) => kind.kind);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'lock.config.json',
    description:
      'Configuration of @lock/selector and the `lock` command: backends and, per lock-name pattern, the needs.',
    type: 'object',
    additionalProperties: false,
    properties: {
      $schema: { type: 'string' },
      builtins: {
        description: 'Embedded kinds (no server, no settings) that are candidates unless turned off here.',
        oneOf: [
          { type: 'boolean' },
          {
            type: 'object',
            additionalProperties: false,
            properties: Object.fromEntries(EMBEDDED_KINDS.map((kind) => [kind, { type: 'boolean' }])),
          },
        ],
      },
      policies: {
        description: 'Needs by lock-name pattern (`*` any run of characters, `?` one character).',
        type: 'object',
        additionalProperties: strip(toJsonSchema(policySchema, CONVERSION)),
      },
      backends: {
        description: 'Configured backends by entry name.',
        type: 'object',
        additionalProperties: {
          oneOf: [...kinds.map(entrySchema), otherKindSchema(known)],
        },
      },
    },
  };
}

/** One kind's entry: the kind's settings beside the selector's own fields, or a list of clusters of them. */
function entrySchema(kind: BackendKind): JsonSchema {
  const settings = strip(toJsonSchema(kind.settings, CONVERSION));
  const properties = (settings.properties ?? {}) as Record<string, JsonSchema>;
  const required = (settings.required ?? []) as string[];
  const clusterSchema: JsonSchema = {
    type: 'object',
    additionalProperties: false,
    properties: {
      id: { type: 'string', description: 'Stable id for rendezvous hashing (default: the address).' },
      ...properties,
    },
  };
  return {
    type: 'object',
    description: `${kind.kind}: ${kind.summary} (${kind.packageName})`,
    additionalProperties: false,
    required: ['kind'],
    properties: {
      kind: { const: kind.kind },
      package: { type: 'string' },
      id: { type: 'string' },
      profile: strip(toJsonSchema(profileSchema, CONVERSION)),
      clusters: {
        type: 'array',
        minItems: 1,
        description: 'Independent clusters to spread lock names over; each overrides the entry’s settings.',
        items: clusterSchema,
      },
      previousClusters: {
        type: 'array',
        minItems: 1,
        description:
          'The cluster list before a change (the migration phase of a rolling change): a name the change moves is taken on its old cluster, then on its new one.',
        items: clusterSchema,
      },
      stableShards: { type: 'boolean' },
      ...properties,
    },
    ...(required.length === 0 ? {} : { anyOf: [{ required }, { required: ['clusters'] }] }),
  };
}

/** An entry of a kind this schema does not describe: it must name the module that does. */
function otherKindSchema(known: readonly string[]): JsonSchema {
  return {
    type: 'object',
    description: 'A kind described by another package: name it in "package".',
    required: ['kind', 'package'],
    properties: {
      kind: { type: 'string', not: { enum: [...known] } },
      package: { type: 'string', description: 'A package name, or a path relative to this file.' },
    },
  };
}

/** A fragment without its own `$schema` line. */
function strip(schema: object): JsonSchema {
  const { $schema: _dialect, ...fragment } = schema as JsonSchema;
  return fragment;
}
