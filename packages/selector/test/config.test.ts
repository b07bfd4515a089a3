import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@lock/core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile, validateConfig } from '../src/index.js';

function errorOf(input: unknown): InvalidArgumentError {
  try {
    validateConfig(input);
  } catch (error) {
    if (InvalidArgumentError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected validateConfig to throw');
}

const redis = { kind: 'redis', url: 'redis://127.0.0.1:6379' };

// Each bad configuration -> the JSON path of the bad field and a message that names it and the value.
const badConfigs: Array<[string, unknown, string, RegExp]> = [
  ['not an object', 42, 'config', /expected a configuration object/],
  ['an array', [], 'config', /received an instance of Array/],
  ['unknown top-level field', { backend: {} }, 'backend', /no such field/],
  ['backends not an object', { backends: [] }, 'backends', /an object of backend entries/],
  [
    'stableShards without clusters',
    { backends: { one: { ...redis, stableShards: true } } },
    'backends.one.stableShards',
    /expected no stableShards without a "clusters" list, received true/,
  ],
  [
    'stableShards not a boolean',
    { backends: { two: { kind: 'redis', clusters: [{ url: 'redis://a:1' }], stableShards: 'yes' } } },
    'backends.two.stableShards',
    /expected true or false/,
  ],
  [
    'url is a number',
    { backends: { orders: { kind: 'redis', url: 42 } } },
    'backends.orders.url',
    /^Invalid backends\.orders\.url: expected a redis:\/\/ URL string, received 42$/,
  ],
  ['url missing', { backends: { orders: { kind: 'redis' } } }, 'backends.orders.url', /received undefined/],
  [
    'url with the wrong scheme',
    { backends: { orders: { kind: 'redis', url: 'http://x:1' } } },
    'backends.orders.url',
    /redis:\/\//,
  ],
  [
    'unknown kind',
    { backends: { orders: { kind: 'postgres' } } },
    'backends.orders.kind',
    /one of "mutex", "shared-mutex", "trylock", "redis", "redlock", "etcd", "zk", received "postgres"/,
  ],
  [
    'kind missing',
    { backends: { orders: { url: 'redis://h:1' } } },
    'backends.orders.kind',
    /received undefined/,
  ],
  [
    'typo in a field',
    { backends: { orders: { ...redis, ttl: 5 } } },
    'backends.orders.ttl',
    /no such field for kind "redis"/,
  ],
  [
    'field of another kind',
    { backends: { orders: { ...redis, endpoints: ['http://h:1'] } } },
    'backends.orders.endpoints',
    /no such field for kind "redis"/,
  ],
  [
    'ttlMs negative',
    { backends: { orders: { ...redis, ttlMs: -1 } } },
    'backends.orders.ttlMs',
    /positive integer/,
  ],
  [
    'ttlMs fractional',
    { backends: { orders: { ...redis, ttlMs: 1.5 } } },
    'backends.orders.ttlMs',
    /received 1\.5/,
  ],
  [
    'waitReplicas a string',
    { backends: { orders: { ...redis, waitReplicas: '1' } } },
    'backends.orders.waitReplicas',
    /received "1"/,
  ],
  [
    'etcd endpoints empty',
    { backends: { c: { kind: 'etcd', endpoints: [] } } },
    'backends.c.endpoints',
    /non-empty array/,
  ],
  [
    'etcd endpoint not a URL',
    { backends: { c: { kind: 'etcd', endpoints: ['http://a:1', 'nope'] } } },
    'backends.c.endpoints[1]',
    /http:\/\/ URL string, received "nope"/,
  ],
  [
    'etcd endpoint listed twice',
    { backends: { c: { kind: 'etcd', endpoints: ['http://a:1', 'http://a:1'] } } },
    'backends.c.endpoints[1]',
    /not already listed/,
  ],
  [
    'redlock with an even count',
    { backends: { q: { kind: 'redlock', endpoints: ['redis://a:1', 'redis://a:2'] } } },
    'backends.q.endpoints',
    /odd number/,
  ],
  [
    'zk connection string without a port',
    { backends: { z: { kind: 'zk', connectionString: 'localhost' } } },
    'backends.z.connectionString',
    /host:port/,
  ],
  [
    'zk root relative',
    { backends: { z: { kind: 'zk', connectionString: 'h:2181', root: 'locks' } } },
    'backends.z.root',
    /absolute/,
  ],
  [
    'builtin with a connection field',
    { backends: { m: { kind: 'mutex', url: 'redis://h:1' } } },
    'backends.m.url',
    /no such field for kind "mutex"/,
  ],
  [
    'profile incomplete',
    { backends: { orders: { ...redis, profile: { acquireReleaseP50Ms: 1 } } } },
    'backends.orders.profile.opsPerSec',
    /received undefined/,
  ],
  [
    'profile zero latency',
    { backends: { orders: { ...redis, profile: { acquireReleaseP50Ms: 0, opsPerSec: 5 } } } },
    'backends.orders.profile.acquireReleaseP50Ms',
    /positive number/,
  ],
  [
    'clusters empty',
    { backends: { s: { kind: 'redis', clusters: [] } } },
    'backends.s.clusters',
    /non-empty array/,
  ],
  [
    'url beside clusters',
    { backends: { s: { ...redis, clusters: [{ url: 'redis://b:1' }] } } },
    'backends.s.url',
    /next to "clusters"/,
  ],
  [
    'cluster without url',
    { backends: { s: { kind: 'redis', clusters: [{ url: 'redis://a:1' }, { prefix: 'x' }] } } },
    'backends.s.clusters[1].url',
    /received undefined/,
  ],
  [
    'duplicate cluster address',
    { backends: { s: { kind: 'redis', clusters: [{ url: 'redis://a:1' }, { url: 'redis://a:1' }] } } },
    'backends.s.clusters[1].url',
    /not already used/,
  ],
  [
    'duplicate cluster id',
    {
      backends: {
        s: {
          kind: 'redis',
          clusters: [
            { id: 'x', url: 'redis://a:1' },
            { id: 'x', url: 'redis://a:2' },
          ],
        },
      },
    },
    'backends.s.clusters[1].id',
    /not already used/,
  ],
  [
    'odd backend name in the path',
    { backends: { 'my cache': { kind: 'redis', url: 7 } } },
    'backends["my cache"].url',
    /received 7/,
  ],
  ['policies not an object', { policies: 'all' }, 'policies', /an object of needs/],
  [
    'scope misspelled',
    { policies: { 'orders:*': { scope: 'clustr' } } },
    'policies["orders:*"].scope',
    /one of "process", "threads", "cluster", received "clustr"/,
  ],
  [
    'durability unknown',
    { policies: { '*': { durability: 'strong' } } },
    'policies["*"].durability',
    /"consensus"/,
  ],
  [
    'fencing as a string',
    { policies: { a: { fencing: 'yes' } } },
    'policies.a.fencing',
    /true or false, received "yes"/,
  ],
  [
    'maxLatencyMs zero',
    { policies: { a: { maxLatencyMs: 0 } } },
    'policies.a.maxLatencyMs',
    /positive number/,
  ],
  [
    'minOpsPerSec NaN',
    { policies: { a: { minOpsPerSec: Number.NaN } } },
    'policies.a.minOpsPerSec',
    /received NaN/,
  ],
  ['unknown need', { policies: { a: { latency: 3 } } }, 'policies.a.latency', /no such field/],
  [
    'pinned backend not configured',
    { backends: { cache: redis }, policies: { a: { backend: 'cahce' } } },
    'policies.a.backend',
    /configured backend .*"cache".*received "cahce"/,
  ],
  ['empty pattern', { policies: { '': {} } }, 'policies[""]', /non-empty name pattern/],
  ['builtins unknown name', { builtins: { spinlock: true } }, 'builtins.spinlock', /no such field/],
];

describe('config validation', () => {
  it.each(badConfigs)('%s -> %s', (_title, input, parameter, message) => {
    const error = errorOf(input);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.parameter).toBe(parameter);
    expect(error.message).toMatch(message);
  });

  it('accepts a full configuration and returns a clean copy', () => {
    const input = {
      $schema: './lock.schema.json',
      builtins: { trylock: false },
      backends: {
        cache: {
          kind: 'redis',
          url: 'redis://127.0.0.1:6379',
          prefix: 'app',
          ttlMs: 10_000,
          waitReplicas: 1,
        },
        quorum: { kind: 'redlock', endpoints: ['redis://a:1', 'redis://b:1', 'redis://c:1'] },
        coord: {
          kind: 'etcd',
          endpoints: ['http://127.0.0.1:2379'],
          ttlMs: 5000,
          profile: { acquireReleaseP50Ms: 3, opsPerSec: 300, source: 'benchmark' },
        },
        zoo: {
          kind: 'zk',
          connectionString: '127.0.0.1:2181,127.0.0.1:2182/app',
          sessionTimeoutMs: 6000,
          root: '/locks',
        },
        shards: {
          kind: 'redis',
          ttlMs: 5000,
          clusters: [{ url: 'redis://a:1' }, { id: 'b', url: 'redis://b:1', options: { x: 1 } }],
        },
        local: { kind: 'mutex' },
      },
      policies: {
        'orders:*': { scope: 'cluster', durability: 'consensus', fencing: true, backend: 'coord' },
        'cache:*': { scope: 'cluster', blocking: false, maxLatencyMs: 2, minOpsPerSec: 1000 },
        '*': { scope: 'process' },
      },
    };
    const config = validateConfig(input);
    expect(config.backends?.shards?.clusters).toEqual([
      { url: 'redis://a:1' },
      { id: 'b', url: 'redis://b:1', options: { x: 1 } },
    ]);
    expect(config.policies?.['orders:*']).toEqual({
      scope: 'cluster',
      durability: 'consensus',
      fencing: true,
      backend: 'coord',
    });
    expect(config.backends?.coord?.profile?.source).toBe('benchmark');
    expect(config.builtins).toEqual({ trylock: false });
  });

  it('a policy may pin a built-in unless it is disabled', () => {
    expect(() => validateConfig({ policies: { a: { backend: 'mutex' } } })).not.toThrow();
    expect(errorOf({ builtins: false, policies: { a: { backend: 'mutex' } } }).parameter).toBe(
      'policies.a.backend',
    );
  });
});

describe('config files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'selector-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads and validates a file', async () => {
    const path = join(dir, 'lock.config.json');
    writeFileSync(path, JSON.stringify({ policies: { '*': { scope: 'threads' } } }));
    await expect(loadConfigFile(path)).resolves.toEqual({ policies: { '*': { scope: 'threads' } } });
  });

  it('names the file when it is missing or not JSON, and the field when a field is bad', async () => {
    const missing = join(dir, 'nope.json');
    await expect(loadConfigFile(missing)).rejects.toMatchObject({
      parameter: missing,
      message: expect.stringMatching(/no such file/),
    });
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "policies": ');
    await expect(loadConfigFile(broken)).rejects.toMatchObject({
      parameter: broken,
      message: expect.stringMatching(/valid JSON/),
    });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ backends: { orders: { kind: 'redis', url: 42 } } }));
    await expect(loadConfigFile(bad)).rejects.toMatchObject({ parameter: 'backends.orders.url' });
  });
});
