import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, InvalidConfigError } from '@lock/core';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfig, readConfigFile } from '../src/index.js';

// The selector's own rules, on a kind it knows nothing about (its settings are the fixture's concern): what a
// kind's settings accept is tested in the kind's package.
const fakeModule = fileURLToPath(new URL('./fixtures/fake-kind/index.mjs', import.meta.url));
const loadModule = (specifier: string) => import(specifier);
const fake = { kind: 'fake', package: fakeModule, address: 'fake://a' };

async function issuesOf(input: unknown): Promise<Array<[string, string, string]>> {
  try {
    await checkConfig(input, { loadModule });
  } catch (error) {
    if (InvalidConfigError.isInstance(error)) {
      return error.issues.map((issue) => [issue.path, issue.expected, issue.received]);
    }
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

// Each bad configuration -> the JSON path of the first problem, what was expected there, what was received.
const badConfigs: Array<[string, unknown, string, RegExp, string]> = [
  ['not an object', 42, '', /^a configuration object/, '42'],
  ['an array', [], '', /^a configuration object/, 'an instance of Array'],
  ['unknown top-level key', { backend: {} }, 'backend', /did you mean `backends`\?/, 'the key "backend"'],
  [
    'backends not an object',
    { backends: [] },
    'backends',
    /an object of backend entries/,
    'an instance of Array',
  ],
  [
    'kind missing',
    { backends: { orders: { address: 'fake://a' } } },
    'backends.orders.kind',
    /name of a kind/,
    'undefined',
  ],
  [
    'stableShards without clusters',
    { backends: { one: { ...fake, stableShards: true } } },
    'backends.one.stableShards',
    /no stableShards without a "clusters" list/,
    'true',
  ],
  [
    'stableShards not a boolean',
    {
      backends: {
        two: { ...fake, address: undefined, clusters: [{ address: 'fake://a' }], stableShards: 'yes' },
      },
    },
    'backends.two.stableShards',
    /true or false/,
    '"yes"',
  ],
  [
    'clusters empty',
    { backends: { s: { ...fake, address: undefined, clusters: [] } } },
    'backends.s.clusters',
    /non-empty array/,
    'an instance of Array',
  ],
  [
    'a shared setting no cluster inherits',
    { backends: { s: { ...fake, clusters: [{ address: 'fake://b' }] } } },
    'backends.s.address',
    /some cluster inherits/,
    '"fake://a"',
  ],
  [
    'a cluster without its address',
    {
      backends: {
        s: { kind: 'fake', package: fakeModule, clusters: [{ address: 'fake://a' }, { replicas: 1 }] },
      },
    },
    'backends.s.clusters[1].address',
    /a fake:\/\/ address/,
    'undefined',
  ],
  [
    'duplicate cluster address',
    {
      backends: {
        s: {
          kind: 'fake',
          package: fakeModule,
          clusters: [{ address: 'fake://a' }, { address: 'fake://a' }],
        },
      },
    },
    'backends.s.clusters[1]',
    /not already used/,
    '"fake://a"',
  ],
  [
    'duplicate cluster id',
    {
      backends: {
        s: {
          kind: 'fake',
          package: fakeModule,
          clusters: [
            { id: 'x', address: 'fake://a' },
            { id: 'x', address: 'fake://b' },
          ],
        },
      },
    },
    'backends.s.clusters[1].id',
    /not already used/,
    '"x"',
  ],
  [
    'odd backend name in the path',
    { backends: { 'my cache': { ...fake, address: 7 } } },
    'backends["my cache"].address',
    /fake:\/\//,
    '7',
  ],
  [
    'profile incomplete',
    { backends: { orders: { ...fake, profile: { acquireReleaseP50Ms: 1 } } } },
    'backends.orders.profile.opsPerSec',
    /positive number of operations per second/,
    'undefined',
  ],
  [
    'profile zero latency',
    { backends: { orders: { ...fake, profile: { acquireReleaseP50Ms: 0, opsPerSec: 5 } } } },
    'backends.orders.profile.acquireReleaseP50Ms',
    /positive number of milliseconds/,
    '0',
  ],
  ['policies not an object', { policies: 'all' }, 'policies', /an object of needs/, '"all"'],
  [
    'scope misspelled',
    { policies: { 'orders:*': { scope: 'clustr' } } },
    'policies["orders:*"].scope',
    /one of "process", "threads", "host", "cluster"/,
    '"clustr"',
  ],
  [
    'durability unknown',
    { policies: { '*': { durability: 'strong' } } },
    'policies["*"].durability',
    /"consensus"/,
    '"strong"',
  ],
  [
    'fencing as a string',
    { policies: { a: { fencing: 'yes' } } },
    'policies.a.fencing',
    /true or false/,
    '"yes"',
  ],
  [
    'maxLatencyMs zero',
    { policies: { a: { maxLatencyMs: 0 } } },
    'policies.a.maxLatencyMs',
    /positive number of milliseconds/,
    '0',
  ],
  [
    'minOpsPerSec NaN',
    { policies: { a: { minOpsPerSec: Number.NaN } } },
    'policies.a.minOpsPerSec',
    /positive number/,
    'NaN',
  ],
  [
    'a need misspelt',
    { policies: { a: { durabilty: 'consensus' } } },
    'policies.a.durabilty',
    /did you mean `durability`\?/,
    'the key "durabilty"',
  ],
  [
    'pinned backend not configured',
    { backends: { cache: fake }, policies: { a: { backend: 'cahce' } } },
    'policies.a.backend',
    /configured backend .*"cache"/,
    '"cahce"',
  ],
  ['empty pattern', { policies: { '': {} } }, 'policies[""]', /non-empty name pattern/, '""'],
  ['builtins unknown name', { builtins: { spinlock: true } }, 'builtins', /embedded kinds/, 'an object'],
];

describe('config validation', () => {
  it.each(badConfigs)('%s', async (_title, input, path, expected, received) => {
    const [first] = await issuesOf(input);
    expect(first![0]).toBe(path);
    expect(first![1]).toMatch(expected);
    expect(first![2]).toBe(received);
  });

  it('reports every problem of a file at once, in document order', async () => {
    const issues = await issuesOf({
      backends: { a: { ...fake, address: 1 }, b: { kind: 'fake', package: fakeModule, clusters: [] } },
      policies: { x: { scope: 'everywhere' }, y: { fencing: 1 } },
      extra: true,
    });
    expect(issues.map(([path]) => path)).toEqual([
      'backends.a.address',
      'backends.b.clusters',
      'policies.x.scope',
      'policies.y.fencing',
      'extra',
    ]);
  });

  it('is an InvalidArgumentError whose parameter is the first path, for callers that catch those', async () => {
    const error = await checkConfig({ policies: { a: { scope: 1 } } }, { loadModule }).catch(
      (caught: unknown) => caught,
    );
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect((error as InvalidArgumentError).parameter).toBe('policies.a.scope');
    expect((error as Error).message).toBe(
      'Invalid configuration: policies.a.scope: expected one of "process", "threads", "host", "cluster", received 1',
    );
  });

  it('accepts a full configuration, each entry validated by its kind, clusters merged over shared settings', async () => {
    const checked = await checkConfig(
      {
        $schema: './node_modules/@lock/selector/lock.config.schema.json',
        builtins: { trylock: false },
        backends: {
          coord: { ...fake, profile: { acquireReleaseP50Ms: 3, opsPerSec: 300, source: 'benchmark' } },
          shards: {
            kind: 'fake',
            package: fakeModule,
            ttlMs: 5_000,
            clusters: [{ address: 'fake://a' }, { id: 'b', address: 'fake://b', ttlMs: 1_000 }],
          },
        },
        policies: {
          'orders:*': { scope: 'cluster', durability: 'single-node', fencing: true, backend: 'coord' },
          '*': { scope: 'process', backend: 'mutex' },
        },
      },
      { loadModule },
    );
    expect(checked.settings.get('shards')).toEqual([
      { address: 'fake://a', ttlMs: 5_000 },
      { address: 'fake://b', ttlMs: 1_000 },
    ]);
    expect(checked.kinds.get('coord')?.kind).toBe('fake');
  });

  it('a policy may pin an embedded kind unless it is turned off', async () => {
    await expect(
      checkConfig({ policies: { a: { backend: 'mutex' } } }, { loadModule }),
    ).resolves.toBeDefined();
    const [first] = await issuesOf({ builtins: false, policies: { a: { backend: 'mutex' } } });
    expect(first![0]).toBe('policies.a.backend');
  });
});

describe('config files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'selector-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file', async () => {
    const path = join(dir, 'lock.config.json');
    writeFileSync(path, JSON.stringify({ policies: { '*': { scope: 'threads' } } }));
    await expect(readConfigFile(path)).resolves.toEqual({ policies: { '*': { scope: 'threads' } } });
  });

  it('names a missing file, and says where a JSON syntax error is by line and column', async () => {
    const missing = join(dir, 'nope.json');
    await expect(readConfigFile(missing)).rejects.toMatchObject({
      parameter: missing,
      message: expect.stringMatching(/no such file/),
    });
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{\n  "policies": {\n    "*": { "scope": "cluster" },\n  }\n}\n');
    const error = await readConfigFile(broken).catch((caught: unknown) => caught);
    expect(InvalidConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(
      `Invalid configuration in ${broken}: line 4, column 3: expected valid JSON, received Expected double-quoted property name`,
    );
    const truncated = join(dir, 'truncated.json');
    writeFileSync(truncated, '{ "policies": ');
    expect(((await readConfigFile(truncated).catch((caught: unknown) => caught)) as Error).message).toMatch(
      /line 1, column 15: expected valid JSON, received unexpected end of input/,
    );
  });
});
