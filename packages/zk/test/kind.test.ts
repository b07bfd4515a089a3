import { checkSettings, formatIssue, InvalidArgumentError, InvalidConfigError } from '@lock/core';
import { describe, expect, it } from 'vitest';
import { createProvider, kinds, ZooKeeperProvider, zkCapabilities, zkKind } from '../src/index.js';

const connectionString = '127.0.0.1:2181';

/** The one line a problem is reported with, for `settings` under `path`. */
function problems(settings: unknown, path = 'backends.z'): string[] {
  return checkSettings(zkKind.settings, settings, path).issues.map(formatIssue);
}

// Each bad setting -> the one line it is reported with: JSON path, what was expected, what was received.
const badSettings: Array<[string, unknown, string]> = [
  ['not an object', 42, 'backends.z: expected an object such as { "connectionString": "127.0.0.1:2181" }'],
  ['null', null, 'backends.z: expected an object such as'],
  ['a bare string', connectionString, 'backends.z: expected an object such as'],
  // The expected words of a missing key come from core (on main: the key is named; the fix says what it expects).
  ['connectionString missing', {}, 'backends.z.connectionString: expected a '],
  [
    'connectionString empty',
    { connectionString: '' },
    'backends.z.connectionString: expected a ZooKeeper connection string "host:port[,host:port...][/chroot]", received ""',
  ],
  [
    'connectionString not a string',
    { connectionString: 2181 },
    'backends.z.connectionString: expected a ZooKeeper connection string "host:port[,host:port...][/chroot]", received 2181',
  ],
  [
    'a server without a port',
    { connectionString: 'localhost' },
    'backends.z.connectionString: expected a ZooKeeper connection string "host:port[,host:port...][/chroot]" whose every server is host:port with a port from 1 to 65535 (server 1 is "localhost"), received "localhost"',
  ],
  [
    'a port out of range',
    { connectionString: '127.0.0.1:2181,127.0.0.1:99999' },
    'backends.z.connectionString: expected a ZooKeeper connection string "host:port[,host:port...][/chroot]" whose every server is host:port with a port from 1 to 65535 (server 2 is "127.0.0.1:99999")',
  ],
  [
    'a server listed twice',
    { connectionString: 'a:2181,b:2181,A:2181' },
    'backends.z.connectionString: expected a ZooKeeper connection string that lists each server once (server 3, "A:2181", is listed before)',
  ],
  [
    'a chroot with a trailing slash',
    { connectionString: '127.0.0.1:2181/app/' },
    'backends.z.connectionString: expected a ZooKeeper connection string whose chroot (the path after the servers) is a ZooKeeper path without a trailing "/"',
  ],
  [
    'a chroot of "/"',
    { connectionString: '127.0.0.1:2181/' },
    'whose chroot (the path after the servers) is a dedicated path below "/"',
  ],
  [
    'sessionTimeoutMs zero',
    { connectionString, sessionTimeoutMs: 0 },
    'backends.z.sessionTimeoutMs: expected a positive integer number of milliseconds, at most 2147483647, received 0',
  ],
  ['sessionTimeoutMs fractional', { connectionString, sessionTimeoutMs: 1.5 }, 'received 1.5'],
  ['sessionTimeoutMs a string', { connectionString, sessionTimeoutMs: '4000' }, 'received "4000"'],
  [
    'root relative',
    { connectionString, root: 'locks' },
    'backends.z.root: expected an absolute ZooKeeper path starting with "/", such as "/locks", received "locks"',
  ],
  [
    'root in the reserved tree',
    { connectionString, root: '/zookeeper' },
    'backends.z.root: expected a path outside the reserved "/zookeeper" tree, received "/zookeeper"',
  ],
  [
    'root not a string',
    { connectionString, root: 7 },
    'backends.z.root: expected an absolute ZooKeeper path',
  ],
  [
    'connectTimeoutMs negative',
    { connectionString, connectTimeoutMs: -1 },
    'backends.z.connectTimeoutMs: expected a positive integer number of milliseconds, at most 2147483647, received -1',
  ],
  [
    'a misspelt key',
    { connectionString, sesionTimeoutMs: 5_000 },
    'backends.z.sesionTimeoutMs: expected a known key; did you mean `sessionTimeoutMs`? (known: `connectionString`, `sessionTimeoutMs`, `root`, `connectTimeoutMs`, `auth`), received the key "sesionTimeoutMs"',
  ],
  [
    'a field of another kind',
    { connectionString, endpoints: ['http://a:1'] },
    'backends.z.endpoints: expected a known key',
  ],
  [
    'a client factory (not JSON)',
    { connectionString, clientFactory: 'x' },
    'backends.z.clientFactory: expected a known key',
  ],
];

describe('the zk kind', () => {
  it('is the one kind the package exports, with the facts the selector reads', () => {
    expect(kinds).toEqual([zkKind]);
    expect(zkKind.kind).toBe('zk');
    expect(zkKind.packageName).toBe('@lock/zk');
    expect(zkKind.leaseSetting).toBe('sessionTimeoutMs');
    expect(zkKind.defaultProfile).toEqual({ acquireReleaseP50Ms: 3.2, opsPerSec: 300, source: 'declared' });
    // At its strongest the kind is an ensemble of three: consensus.
    expect(checkSettings(zkKind.settings, zkKind.strongest, 'strongest').ok).toBe(true);
    expect(zkKind.strongest.connectionString.split(',')).toHaveLength(3);
    expect(zkKind.capabilities(zkKind.strongest).durability).toBe('consensus');
  });

  it.each(badSettings)('%s', (_title, settings, line) => {
    const reported = problems(settings);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toContain(line);
  });

  it('reports every problem of one entry at once', () => {
    expect(problems({ connectionString: 'localhost', root: 'locks', sessionTimeoutMs: 0, ttl: 3 })).toEqual([
      expect.stringMatching(
        /^backends\.z\.connectionString: expected .*\(server 1 is "localhost"\), received "localhost"$/,
      ),
      expect.stringMatching(/^backends\.z\.sessionTimeoutMs: expected a positive integer .*, received 0$/),
      expect.stringMatching(/^backends\.z\.root: expected an absolute ZooKeeper path .*, received "locks"$/),
      expect.stringMatching(/^backends\.z\.ttl: expected a known key \(known: /),
    ]);
  });

  it('accepts a full entry and fills in the defaults', () => {
    const checked = checkSettings(
      zkKind.settings,
      { connectionString: '127.0.0.1:2181,127.0.0.1:2182/app' },
      'z',
    );
    expect(checked.value).toEqual({
      connectionString: '127.0.0.1:2181,127.0.0.1:2182/app',
      sessionTimeoutMs: 10_000,
      root: '/locks',
      connectTimeoutMs: 15_000,
    });
    const full = {
      connectionString: '[::1]:2181, zk-2.example:2182',
      sessionTimeoutMs: 6_000,
      root: '/app/locks',
      connectTimeoutMs: 1_000,
    };
    expect(checkSettings(zkKind.settings, full, 'z').value).toEqual(full);
  });

  it('declares capabilities from the settings, and its providers declare the same', async () => {
    expect(zkKind.capabilities).toBe(zkCapabilities);
    for (const [servers, durability] of [
      ['127.0.0.1:2181', 'single-node'],
      ['127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183/app', 'consensus'],
    ] as const) {
      const settings = checkSettings(
        zkKind.settings,
        { connectionString: servers, sessionTimeoutMs: 6_000 },
        'z',
      ).value!;
      const capabilities = zkKind.capabilities(settings);
      expect(capabilities.durability).toBe(durability);
      expect(capabilities.ttl?.sessionTtlMs).toBe(6_000);
      const provider = zkKind.createProvider(settings);
      try {
        expect(provider).toBeInstanceOf(ZooKeeperProvider);
        expect(provider.capabilities).toEqual(capabilities);
        expect(createProvider({ connectionString: servers, sessionTimeoutMs: 6_000 }).capabilities).toEqual(
          capabilities,
        );
        // Nothing was connected: building a provider is no I/O.
        expect(provider.sessionCount).toBe(0);
      } finally {
        await provider.close();
      }
    }
  });

  it('has the connection string as its address', () => {
    const settings = checkSettings(zkKind.settings, { connectionString: 'a:1,b:2/app' }, 'z').value!;
    expect(zkKind.address(settings)).toBe('a:1,b:2/app');
  });
});

describe('createProvider and the constructor', () => {
  it.each(badSettings)('refuse %s with the same words, before any I/O', (_title, settings) => {
    const expected = checkSettings(zkKind.settings, settings, 'config').issues;
    const fromConfig = caught(() => createProvider(settings as never));
    expect(InvalidConfigError.isInstance(fromConfig)).toBe(true);
    expect((fromConfig as InvalidConfigError).issues).toEqual(expected);
    expect((fromConfig as InvalidConfigError).parameter).toBe(expected[0]!.path);
    // The constructor checks its options with the same entries; only the client factory is its own.
    if (typeof settings === 'object' && settings !== null && 'clientFactory' in settings) return;
    const fromOptions = caught(() => new ZooKeeperProvider(settings as never));
    expect(InvalidArgumentError.isInstance(fromOptions)).toBe(true);
    expect((fromOptions as InvalidArgumentError).parameter.replace(/^options/, 'config')).toBe(
      expected[0]!.path,
    );
    // An unknown key's list of known keys has `clientFactory` too: the constructor's own key.
    const words = (text: string) => text.replace(/ \(known: .*\)$/, '');
    if (expected[0]!.path === 'config') return;
    expect(words((fromOptions as InvalidArgumentError).expected)).toBe(words(expected[0]!.expected));
  });

  it('the constructor refuses a client factory that is not a function', () => {
    const refused = caught(() => new ZooKeeperProvider({ connectionString, clientFactory: 'x' as never }));
    expect((refused as InvalidArgumentError).parameter).toBe('options.clientFactory');
  });

  it('builds a provider from a JSON config without connecting', async () => {
    const provider = createProvider({
      connectionString: '127.0.0.1:1,127.0.0.1:2/app',
      sessionTimeoutMs: 6000,
    });
    expect(provider).toBeInstanceOf(ZooKeeperProvider);
    expect(provider.requestedSessionTimeoutMs).toBe(6000);
    expect(provider.root).toBe('/locks');
    expect(provider.capabilities).toMatchObject({ backend: 'zk', durability: 'consensus', fencing: true });
    expect(createProvider({ connectionString }).capabilities.durability).toBe('single-node');
    expect(provider.sessionCount).toBe(0);
    await provider.close();
  });
});

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
