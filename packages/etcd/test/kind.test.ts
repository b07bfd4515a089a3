import { checkSettings, formatIssue, InvalidArgumentError, InvalidConfigError } from '@lock/core';
import { describe, expect, it } from 'vitest';
import { createProvider, EtcdProvider, etcdCapabilities, etcdKind, kinds } from '../src/index.js';

const endpoints = ['http://127.0.0.1:2379'];

/** The one line a problem is reported with, for `settings` under `path`. */
function problems(settings: unknown, path = 'backends.coord'): string[] {
  return checkSettings(etcdKind.settings, settings, path).issues.map(formatIssue);
}

// Each bad setting -> the one line it is reported with: JSON path, what was expected, what was received.
const badSettings: Array<[string, unknown, string]> = [
  [
    'not an object',
    42,
    'backends.coord: expected an object such as { "endpoints": ["http://127.0.0.1:2379"] }',
  ],
  // The expected words of a missing key come from core (on main: the key is named; the fix says what it expects).
  ['endpoints missing', {}, 'backends.coord.endpoints: expected a '],
  ['endpoints empty', { endpoints: [] }, 'backends.coord.endpoints: expected a non-empty array of URLs'],
  ['endpoints a string', { endpoints: 'http://a:1' }, 'backends.coord.endpoints: expected a non-empty array'],
  [
    'an endpoint that is not a URL',
    { endpoints: ['http://a:1', 'nope'] },
    'backends.coord.endpoints[1]: expected an http:// or https:// URL such as "http://127.0.0.1:2379", received "nope"',
  ],
  [
    'an endpoint that is not a string',
    { endpoints: [7] },
    'backends.coord.endpoints[0]: expected a non-empty array of URLs such as "http://127.0.0.1:2379", received 7',
  ],
  [
    'an endpoint of another scheme',
    { endpoints: ['redis://a:1'] },
    'backends.coord.endpoints[0]: expected an http:// or https:// URL',
  ],
  [
    'a port out of range',
    { endpoints: ['http://127.0.0.1:99999'] },
    'backends.coord.endpoints[0]: expected a URL with a port from 1 to 65535, received "http://127.0.0.1:99999"',
  ],
  [
    'an endpoint listed twice',
    { endpoints: ['http://a:1', 'http://A:1/'] },
    'backends.coord.endpoints[1]: expected an endpoint not already listed, received "http://A:1/"',
  ],
  [
    'http and https mixed',
    { endpoints: ['http://a:1', 'https://b:1'] },
    'backends.coord.endpoints[1]: expected a http:// URL like the first endpoint: one client speaks either TLS (https) or plain HTTP/2 (http) to every endpoint, received "https://b:1"',
  ],
  [
    'ttlMs below etcd minimum',
    { endpoints, ttlMs: 1_000 },
    'backends.coord.ttlMs: expected a whole number of seconds in ms, at least 2000 (etcd lease TTLs are whole seconds, and etcd raises shorter ones without saying so), received 1000',
  ],
  ['ttlMs not whole seconds', { endpoints, ttlMs: 2_500 }, 'backends.coord.ttlMs: expected a whole number'],
  ['ttlMs negative', { endpoints, ttlMs: -1 }, 'received -1'],
  ['ttlMs fractional', { endpoints, ttlMs: 1.5 }, 'received 1.5'],
  ['ttlMs NaN', { endpoints, ttlMs: Number.NaN }, 'backends.coord.ttlMs: expected a whole number'],
  ['ttlMs a string', { endpoints, ttlMs: '10000' }, 'received "10000"'],
  [
    'requestTimeoutMs zero',
    { endpoints, requestTimeoutMs: 0 },
    'backends.coord.requestTimeoutMs: expected a positive integer number of milliseconds, at most 2147483647, received 0',
  ],
  [
    'prefix with a NUL',
    { endpoints, prefix: 'a\0b' },
    'backends.coord.prefix: expected a string without NUL characters',
  ],
  ['prefix a number', { endpoints, prefix: 7 }, 'backends.coord.prefix: expected a string without NUL'],
  [
    'waitOutRevokedHolders not a boolean',
    { endpoints, waitOutRevokedHolders: 'yes' },
    'backends.coord.waitOutRevokedHolders: expected true or false, received "yes"',
  ],
  [
    'a misspelt key',
    { endpoints, ttl: 5_000 },
    'backends.coord.ttl: expected a known key; did you mean `ttlMs`? (known: `endpoints`, `prefix`, `ttlMs`, `requestTimeoutMs`, `waitOutRevokedHolders`, `tls`, `auth`), received the key "ttl"',
  ],
  ['a field of another kind', { endpoints, url: 'redis://a:1' }, 'backends.coord.url: expected a known key'],
  ['a client (not JSON)', { endpoints, client: {} }, 'backends.coord.client: expected a known key'],
];

describe('the etcd kind', () => {
  it('is the one kind the package exports, with the facts the selector reads', () => {
    expect(kinds).toEqual([etcdKind]);
    expect(etcdKind.kind).toBe('etcd');
    expect(etcdKind.packageName).toBe('@lock/etcd');
    expect(etcdKind.leaseSetting).toBe('ttlMs');
    expect(etcdKind.defaultProfile).toEqual({ acquireReleaseP50Ms: 3.5, opsPerSec: 280, source: 'declared' });
    expect(checkSettings(etcdKind.settings, etcdKind.strongest, 'strongest').ok).toBe(true);
  });

  it.each(badSettings)('%s', (_title, settings, line) => {
    const reported = problems(settings);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toContain(line);
  });

  it('reports every problem of one entry at once', () => {
    expect(problems({ endpoints: ['nope', 'http://a:1'], ttlMs: 1_500, prefix: 7, ttl: 3 })).toEqual([
      'backends.coord.endpoints[0]: expected an http:// or https:// URL such as "http://127.0.0.1:2379", received "nope"',
      'backends.coord.prefix: expected a string without NUL characters, received 7',
      expect.stringMatching(
        /^backends\.coord\.ttlMs: expected a whole number of seconds in ms.*received 1500$/,
      ),
      expect.stringMatching(/^backends\.coord\.ttl: expected a known key; did you mean `ttlMs`\?/),
    ]);
  });

  it('accepts a full entry and fills in the defaults', () => {
    const checked = checkSettings(etcdKind.settings, { endpoints, ttlMs: 5_000 }, 'backends.coord');
    expect(checked.ok).toBe(true);
    expect(checked.value).toEqual({
      endpoints,
      ttlMs: 5_000,
      prefix: '',
      requestTimeoutMs: 5_000,
      waitOutRevokedHolders: false,
    });
    const full = {
      endpoints: ['https://a:2379', 'https://b:2379/'],
      ttlMs: 2_000,
      prefix: 'app',
      requestTimeoutMs: 1_000,
      waitOutRevokedHolders: true,
    };
    expect(checkSettings(etcdKind.settings, full, 'x').value).toEqual(full);
  });

  it('declares capabilities from the settings, and its providers declare the same', async () => {
    expect(etcdKind.capabilities).toBe(etcdCapabilities);
    for (const ttlMs of [2_000, 10_000]) {
      const settings = checkSettings(etcdKind.settings, { endpoints, ttlMs }, 'x').value!;
      const capabilities = etcdKind.capabilities(settings);
      expect(capabilities.ttl?.sessionTtlMs).toBe(ttlMs);
      const provider = etcdKind.createProvider(settings);
      try {
        expect(provider).toBeInstanceOf(EtcdProvider);
        expect(provider.capabilities).toEqual(capabilities);
        expect(createProvider({ endpoints, ttlMs }).capabilities).toEqual(capabilities);
      } finally {
        await provider.close();
      }
    }
  });

  it('has the endpoints as its address, without trailing slashes', () => {
    const settings = checkSettings(etcdKind.settings, { endpoints: ['http://a:1/', 'http://b:2'] }, 'x')
      .value!;
    expect(etcdKind.address(settings)).toBe('http://a:1,http://b:2');
  });
});

describe('createProvider and the constructor', () => {
  it.each(badSettings)('refuse %s with the same words, before any I/O', (_title, settings) => {
    const expected = checkSettings(etcdKind.settings, settings, 'config').issues;
    const fromConfig = caught(() => createProvider(settings as never));
    expect(InvalidConfigError.isInstance(fromConfig)).toBe(true);
    expect((fromConfig as InvalidConfigError).issues).toEqual(expected);
    expect((fromConfig as InvalidConfigError).parameter).toBe(expected[0]!.path);
    // The constructor checks its options with the same entries; only a client (not JSON, instead of endpoints)
    // is its own.
    if (
      typeof settings !== 'object' ||
      settings === null ||
      'client' in settings ||
      !('endpoints' in settings)
    )
      return;
    const fromOptions = caught(() => new EtcdProvider(settings as never));
    expect(InvalidArgumentError.isInstance(fromOptions)).toBe(true);
    const first = (fromOptions as InvalidArgumentError).parameter;
    expect(first.replace(/^options/, 'config')).toBe(expected[0]!.path);
    // An unknown key's list of known keys has `client` too: the constructor's own key.
    const words = expected[0]!.expected.replace(/ \(known: .*\)$/, '');
    expect((fromOptions as InvalidArgumentError).expected.replace(/ \(known: .*\)$/, '')).toBe(words);
  });

  it('refuse bad config before any I/O, naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [undefined, 'config'],
      [{}, 'config.endpoints'],
      [{ endpoints: [] }, 'config.endpoints'],
      [{ endpoints: 'http://127.0.0.1:2379' }, 'config.endpoints'],
      [{ endpoints: ['http://127.0.0.1:2379', 'localhost'] }, 'config.endpoints[1]'],
      [{ endpoints: ['http://127.0.0.1:2379', 'http://127.0.0.1:2379'] }, 'config.endpoints[1]'],
      [{ endpoints: ['http://127.0.0.1:99999'] }, 'config.endpoints[0]'],
      [{ endpoints: ['http://127.0.0.1:2379'], ttlMs: 1500 }, 'config.ttlMs'],
      [{ endpoints: ['http://127.0.0.1:2379'], ttlMs: 500 }, 'config.ttlMs'],
      // etcd would raise a 1 s lease to 2 s without saying so.
      [{ endpoints: ['http://127.0.0.1:2379'], ttlMs: 1000 }, 'config.ttlMs'],
      [
        { endpoints: ['http://127.0.0.1:2379'], waitOutRevokedHolders: 'yes' },
        'config.waitOutRevokedHolders',
      ],
      [{ endpoints: ['http://127.0.0.1:2379'], ttlMs: '10000' }, 'config.ttlMs'],
      [{ endpoints: ['http://127.0.0.1:2379'], ttlMs: Number.NaN }, 'config.ttlMs'],
      [{ endpoints: ['http://127.0.0.1:2379'], prefix: 7 }, 'config.prefix'],
      [{ endpoints: ['http://127.0.0.1:2379'], requestTimeoutMs: 0 }, 'config.requestTimeoutMs'],
      [{ endpoints: ['http://127.0.0.1:2379'], ttl: 10 }, 'config.ttl'],
      [{ endpoints: ['http://127.0.0.1:2379'], client: fakeClient }, 'config.client'],
    ];
    for (const [config, parameter] of cases) {
      let caught: unknown;
      try {
        createProvider(config as never);
      } catch (error) {
        caught = error;
      }
      expect(InvalidArgumentError.isInstance(caught), JSON.stringify(config ?? null)).toBe(true);
      expect((caught as InvalidArgumentError).parameter).toBe(parameter);
    }
    expect(() => new EtcdProvider({ client: fakeClient, endpoints: ['http://127.0.0.1:2379'] })).toThrow(
      /either/,
    );
  });

  it('the constructor takes a client instead of endpoints, not both and not neither', () => {
    const client = fakeClient;
    expect((caught(() => new EtcdProvider({ client, endpoints } as never)) as Error).message).toMatch(
      /either endpoints or client, not both and not neither/,
    );
    expect((caught(() => new EtcdProvider({})) as InvalidArgumentError).parameter).toBe('options.endpoints');
    expect((caught(() => new EtcdProvider({ client: 7 } as never)) as InvalidArgumentError).parameter).toBe(
      'options.client',
    );
  });
});

/** Shaped like an etcd3 client (never used: refused before any I/O). */
const fakeClient = { kv: {}, leaseClient: {}, watchClient: {}, close() {} } as never;

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
