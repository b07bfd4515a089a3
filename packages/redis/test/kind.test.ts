import {
  type BackendKind,
  checkSettings,
  InvalidArgumentError,
  InvalidConfigError,
  type SettingsSchema,
} from '@lock/core';
import { type RedisServer, startRedis, startRedisInstances } from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createProvider,
  kinds,
  RedisProvider,
  RedlockProvider,
  redisCapabilities,
  redisKind,
  redlockCapabilities,
  redlockKind,
} from '../src/index.js';

/** `[path, expected, received]` of every problem, as a configuration reports them. */
function problems(schema: SettingsSchema, input: unknown, path = 'backends.c'): string[][] {
  const checked = checkSettings(schema, input, path);
  // A value can break two steps of one rule with the same words (a fraction below a minimum): one line each.
  const lines = checked.issues.map((issue) => [issue.path, issue.expected, issue.received]);
  return lines.filter(
    (line, index) => lines.findIndex((other) => other.join('\0') === line.join('\0')) === index,
  );
}

function refusal(build: () => unknown): InvalidConfigError {
  try {
    build();
  } catch (error) {
    if (InvalidConfigError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const URL_EXPECTED = 'a redis://host:port URL (or rediss://, or host:port)';
const MS = 'a positive integer number of milliseconds, at most 2147483647';
const LEASE = 'a whole number of ms from 100 to 2147483647, the lease lengths this backend grants exactly';
const REDIS_KEYS =
  '`url`, `host`, `port`, `prefix`, `ttlMs`, `renewEveryMs`, `recheckMs`, `waitReplicas`, `waitTimeoutMs`, `commandTimeoutMs`, `fenceRetentionMs`, `tls`, `username`, `password`, `passwordFile`';
const REDLOCK_KEYS =
  '`endpoints`, `prefix`, `ttlMs`, `renewEveryMs`, `driftFactor`, `instanceTimeoutMs`, `tls`, `username`, `password`, `passwordFile`';
const redis = { url: 'redis://127.0.0.1:6379' };
const three = ['redis://a:1', 'redis://b:1', 'redis://c:1'];

describe('the kinds of @lock/redis', () => {
  it('are `redis` and `redlock`, each with what the selector reads', () => {
    expect(kinds.map((kind) => kind.kind)).toEqual(['redis', 'redlock']);
    for (const kind of kinds as readonly BackendKind<object>[]) {
      expect(kind.packageName).toBe('@lock/redis');
      expect(kind.install).toBe('npm install @lock/redis ioredis');
      expect(kind.leaseSetting).toBe('ttlMs');
      expect(kind.defaultProfile.source).toBe('declared');
      // Its strongest settings are settings of the kind, and what they declare is at least as strong.
      expect(checkSettings(kind.settings, kind.strongest, 'strongest').issues).toEqual([]);
    }
    expect(redisKind.capabilities(redisKind.strongest).durability).toBe('replicated-async');
    expect(redisKind.defaultProfile).toMatchObject({ acquireReleaseP50Ms: 0.25, opsPerSec: 4_000 });
    expect(redlockKind.defaultProfile).toMatchObject({ acquireReleaseP50Ms: 0.75, opsPerSec: 1_300 });
  });
});

describe('redis settings: every rule, with its path, what was expected and what was received', () => {
  it.each<[string, unknown, string[][]]>([
    ['url is a number', { url: 42 }, [['backends.c.url', URL_EXPECTED, '42']]],
    ['url missing (nor host)', {}, [['backends.c.url', `${URL_EXPECTED}, or host and port`, 'undefined']]],
    [
      'url with the wrong scheme',
      { url: 'http://x:1' },
      [['backends.c.url', 'a redis:// or rediss:// URL', '"http://x:1"']],
    ],
    ['url without a host', { url: 'redis:///0' }, [['backends.c.url', 'a URL with a host', '"redis:///0"']]],
    [
      'url beside host and port',
      { ...redis, host: 'h', port: 1 },
      [
        ['backends.c.host', 'absent when url is given', '"h"'],
        ['backends.c.port', 'absent when url is given', '1'],
      ],
    ],
    [
      'port out of range',
      { host: 'h', port: 0 },
      [['backends.c.port', 'an integer port from 1 to 65535', '0']],
    ],
    ['host empty', { host: '' }, [['backends.c.host', 'a host name or address', '""']]],
    [
      'typo in a field',
      { ...redis, ttl: 5 },
      [['backends.c.ttl', `a known key; did you mean \`ttlMs\`? (known: ${REDIS_KEYS})`, 'the key "ttl"']],
    ],
    [
      'field of another kind',
      { ...redis, endpoints: ['redis://h:1'] },
      [['backends.c.endpoints', `a known key (known: ${REDIS_KEYS})`, 'the key "endpoints"']],
    ],
    ['ttlMs negative', { ...redis, ttlMs: -1 }, [['backends.c.ttlMs', LEASE, '-1']]],
    ['ttlMs fractional', { ...redis, ttlMs: 1.5 }, [['backends.c.ttlMs', LEASE, '1.5']]],
    ['ttlMs below the lease floor', { ...redis, ttlMs: 99 }, [['backends.c.ttlMs', LEASE, '99']]],
    ['ttlMs a string', { ...redis, ttlMs: '5s' }, [['backends.c.ttlMs', LEASE, '"5s"']]],
    [
      'waitReplicas a string',
      { ...redis, waitReplicas: '1' },
      [['backends.c.waitReplicas', 'a non-negative integer count of replicas', '"1"']],
    ],
    [
      'waitReplicas negative',
      { ...redis, waitReplicas: -1 },
      [['backends.c.waitReplicas', 'a non-negative integer count of replicas', '-1']],
    ],
    [
      'prefix with a brace',
      { ...redis, prefix: 'a{b}:' },
      [['backends.c.prefix', 'a string without { or } (they would move the cluster hash tag)', '"a{b}:"']],
    ],
    [
      'renewEveryMs above half the TTL',
      { ...redis, ttlMs: 1000, renewEveryMs: 600 },
      [
        [
          'backends.c.renewEveryMs',
          'at most half of ttlMs (1000), so a failed renewal can be retried before the lease expires',
          '600',
        ],
      ],
    ],
    [
      'renewEveryMs above half the default TTL',
      { ...redis, renewEveryMs: 20_000 },
      [
        [
          'backends.c.renewEveryMs',
          'at most half of ttlMs (30000), so a failed renewal can be retried before the lease expires',
          '20000',
        ],
      ],
    ],
    [
      'recheckMs above a quarter of the TTL',
      { ...redis, ttlMs: 1000, recheckMs: 500 },
      [['backends.c.recheckMs', 'at most a quarter of ttlMs (1000)', '500']],
    ],
    ['waitTimeoutMs zero', { ...redis, waitTimeoutMs: 0 }, [['backends.c.waitTimeoutMs', MS, '0']]],
    [
      'commandTimeoutMs fractional',
      { ...redis, commandTimeoutMs: 0.5 },
      [['backends.c.commandTimeoutMs', MS, '0.5']],
    ],
    [
      'fenceRetentionMs zero',
      { ...redis, fenceRetentionMs: 0 },
      [
        [
          'backends.c.fenceRetentionMs',
          'a whole number of ms from 1 to 315360000000 (omit it to keep fence counters forever)',
          '0',
        ],
      ],
    ],
    ['not an object', 7, [['backends.c', 'an object', '7']]],
  ])('%s', (_title, input, expected) => {
    expect(problems(redisKind.settings, input)).toEqual(expected);
  });

  it('reports every problem of one entry at once, a rule between settings beside a bad field', () => {
    expect(
      problems(redisKind.settings, {
        url: 'http://x',
        ttl: 5,
        waitReplicas: '1',
        ttlMs: 1000,
        recheckMs: 900,
      }),
    ).toEqual([
      ['backends.c.url', 'a redis:// or rediss:// URL', '"http://x"'],
      ['backends.c.waitReplicas', 'a non-negative integer count of replicas', '"1"'],
      ['backends.c.ttl', `a known key; did you mean \`ttlMs\`? (known: ${REDIS_KEYS})`, 'the key "ttl"'],
      ['backends.c.recheckMs', 'at most a quarter of ttlMs (1000)', '900'],
    ]);
  });

  it('checks a rule between settings only once both settings are valid themselves', () => {
    // A TTL below the floor would also make the re-check "above a quarter of ttlMs": only the TTL is wrong.
    expect(problems(redisKind.settings, { ...redis, ttlMs: 50, recheckMs: 20 })).toEqual([
      ['backends.c.ttlMs', LEASE, '50'],
    ]);
    expect(problems(redisKind.settings, { ...redis, ttlMs: 'x', renewEveryMs: 20_000 })).toEqual([
      ['backends.c.ttlMs', LEASE, '"x"'],
    ]);
  });

  it('accepts a URL, a bare host:port, rediss://, and host with an optional port', () => {
    for (const settings of [
      redis,
      { url: '127.0.0.1:6379' },
      { url: 'rediss://user:secret@cache.example:6380/2' },
      { host: 'cache.example' },
      { host: '::1', port: 6380 },
    ])
      expect(problems(redisKind.settings, settings)).toEqual([]);
  });
});

describe('redlock settings', () => {
  it.each<[string, unknown, string[][]]>([
    [
      'an even count',
      { endpoints: ['redis://a:1', 'redis://a:2'] },
      [
        [
          'backends.c.endpoints',
          'an odd number of instances (2 tolerates no more failures than 1)',
          'an instance of Array',
        ],
      ],
    ],
    [
      'an empty list',
      { endpoints: [] },
      [['backends.c.endpoints', 'a non-empty list of independent Redis instances', 'an instance of Array']],
    ],
    [
      'an endpoint twice (localhost is 127.0.0.1)',
      { endpoints: ['redis://127.0.0.1:7001', 'localhost:7001', 'redis://c:1'] },
      [['backends.c.endpoints[1]', 'an instance not already listed (same as [0])', '"localhost:7001"']],
    ],
    [
      'an endpoint of another scheme, and one that is no string',
      { endpoints: ['redis://a:1', 'http://b:1', 7] },
      [
        ['backends.c.endpoints[1]', 'a redis:// or rediss:// URL', '"http://b:1"'],
        ['backends.c.endpoints[2]', URL_EXPECTED, '7'],
      ],
    ],
    [
      'not a list',
      { endpoints: 'redis://a:1' },
      [['backends.c.endpoints', `a non-empty array of endpoints, each ${URL_EXPECTED}`, '"redis://a:1"']],
    ],
    [
      'driftFactor of 1',
      { endpoints: three, driftFactor: 1 },
      [['backends.c.driftFactor', 'a number from 0 to below 1 (0.01 is typical)', '1']],
    ],
    [
      'driftFactor negative',
      { endpoints: three, driftFactor: -0.1 },
      [['backends.c.driftFactor', 'a number from 0 to below 1 (0.01 is typical)', '-0.1']],
    ],
    [
      'instanceTimeoutMs zero',
      { endpoints: three, instanceTimeoutMs: 0 },
      [['backends.c.instanceTimeoutMs', MS, '0']],
    ],
    ['ttlMs below the lease floor', { endpoints: three, ttlMs: 50 }, [['backends.c.ttlMs', LEASE, '50']]],
    [
      'renewEveryMs above half the TTL',
      { endpoints: three, ttlMs: 1000, renewEveryMs: 501 },
      [
        [
          'backends.c.renewEveryMs',
          'at most half of ttlMs (1000), so a failed renewal can be retried before the lease expires',
          '501',
        ],
      ],
    ],
    [
      'a field of the redis kind',
      { endpoints: three, waitReplicas: 1 },
      [['backends.c.waitReplicas', `a known key (known: ${REDLOCK_KEYS})`, 'the key "waitReplicas"']],
    ],
    [
      'a typo',
      { endpoints: three, drift: 0.1 },
      [
        [
          'backends.c.drift',
          `a known key; did you mean \`driftFactor\`? (known: ${REDLOCK_KEYS})`,
          'the key "drift"',
        ],
      ],
    ],
  ])('%s', (_title, input, expected) => {
    expect(problems(redlockKind.settings, input)).toEqual(expected);
  });

  it('reports the list, its entries and other fields at once', () => {
    expect(problems(redlockKind.settings, { endpoints: ['redis://a:1', 'ftp://b'], ttlMs: 1.5 })).toEqual([
      ['backends.c.endpoints[1]', 'a redis:// or rediss:// URL', '"ftp://b"'],
      [
        'backends.c.endpoints',
        'an odd number of instances (2 tolerates no more failures than 1)',
        'an instance of Array',
      ],
      ['backends.c.ttlMs', LEASE, '1.5'],
    ]);
  });
});

describe('capabilities: one function per kind, which the providers call', () => {
  it('redis is single-node, or replicated-async with replica acknowledgement; redlock never fences', () => {
    expect(redisKind.capabilities).toBe(redisCapabilities);
    expect(redlockKind.capabilities).toBe(redlockCapabilities);
    expect(redisCapabilities({})).toMatchObject({
      backend: 'redis',
      scope: 'cluster',
      durability: 'single-node',
      waiting: 'push',
      fifo: true,
      fencing: true,
      leases: true,
      ttl: { setBy: 'lock', minMs: 100, stepMs: 1 },
    });
    expect(redisCapabilities({ waitReplicas: 0 }).durability).toBe('single-node');
    expect(redisCapabilities({ waitReplicas: 2 }).durability).toBe('replicated-async');
    expect(redlockCapabilities()).toMatchObject({
      backend: 'redlock',
      durability: 'replicated-async',
      waiting: 'none',
      fifo: false,
      fencing: false,
    });
  });
});

describe('address: the cluster id the selector spreads names by, as written', () => {
  it.each<[unknown, string]>([
    [{ url: 'redis://cache:6379/2' }, 'redis://cache:6379/2'],
    [{ url: '10.0.0.1:6379' }, '10.0.0.1:6379'],
    [{ host: 'cache' }, 'redis://cache:6379'],
    [{ host: '::1', port: 7000 }, 'redis://[::1]:7000'],
  ])('redis %o -> %s', (settings, address) => {
    expect(redisKind.address(checkSettings(redisKind.settings, settings, '').value!)).toBe(address);
  });

  it('redlock: the endpoints joined with commas', () => {
    expect(redlockKind.address({ endpoints: three })).toBe('redis://a:1,redis://b:1,redis://c:1');
  });
});

describe('createProvider', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses the same values with the same words, below `config`, every problem at once', () => {
    const error = refusal(() =>
      createProvider({ url: 'http://x', ttlMs: 1000, recheckMs: 900, ttl: 5 } as never),
    );
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect(error.parameter).toBe('config.url');
    expect(error.issues.map((issue) => [issue.path, issue.expected, issue.received])).toEqual(
      problems(redisKind.settings, { url: 'http://x', ttlMs: 1000, recheckMs: 900, ttl: 5 }, 'config'),
    );
    expect(error.message).toMatch(
      /^Invalid configuration \(3 problems\):\n {2}config\.url: expected a redis:\/\//,
    );
    const redlock = refusal(() =>
      createProvider({ redlock: { endpoints: ['redis://a:1', 'redis://a:1', 'x:1'] } }),
    );
    expect(redlock.issues.map((issue) => [issue.path, issue.expected])).toEqual([
      ['config.redlock.endpoints[1]', 'an instance not already listed (same as [0])'],
    ]);
  });

  it("builds a redis provider that declares its kind's capabilities for its settings", async () => {
    const made = createProvider({ url: server.url, waitReplicas: 1, ttlMs: 2000 });
    expect(made).toBeInstanceOf(RedisProvider);
    expect(made.capabilities).toEqual(redisKind.capabilities({ waitReplicas: 1 }));
    expect(made.ttlMs).toBe(2000);
    const plain = await redisKind.createProvider(
      checkSettings(redisKind.settings, { url: server.url.replace('redis://', '') }, '').value!,
    );
    expect(plain.capabilities).toEqual(redisCapabilities({}));
    const lease = await plain.lock('kind').acquire();
    await lease.release();
    await Promise.all([made.close(), plain.close()]);
  });

  it('builds a redlock provider, from the kind and from the `redlock` shape', async () => {
    const instances = await startRedisInstances(3);
    try {
      const endpoints = instances.servers.map((instance) => instance.url);
      const fromKind = await redlockKind.createProvider({ endpoints, ttlMs: 1000 });
      const fromShape = createProvider({ redlock: { endpoints, driftFactor: 0.02 }, ttlMs: 1000 });
      for (const provider of [fromKind, fromShape]) {
        expect(provider).toBeInstanceOf(RedlockProvider);
        expect(provider.capabilities).toEqual(redlockKind.capabilities({ endpoints }));
        const lease = await provider.lock('kind').acquire();
        expect((await provider.status!('kind')).holders).toHaveLength(1);
        await lease.release();
        await provider.close();
      }
    } finally {
      await instances.close();
    }
  });
});
