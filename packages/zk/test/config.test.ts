import { InvalidArgumentError } from '@lock/core';
import { describe, expect, it } from 'vitest';
import { createProvider } from '../src/create-provider.js';
import { lockNodeSequence, protectedPrefix, sortLockNodes } from '../src/lock-node.js';
import { escapeLockName, lockParentPath, validateRoot } from '../src/lock-path.js';
import { ZooKeeperProvider } from '../src/zookeeper-provider.js';

function parameterOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (InvalidArgumentError.isInstance(error)) return error.parameter;
    throw error;
  }
  return undefined;
}

describe('root validation', () => {
  it.each<[unknown, string]>([
    ['locks', 'relative'],
    ['/', 'the tree root'],
    ['/locks/', 'a trailing slash'],
    ['/a//b', 'an empty segment'],
    ['/a/./b', 'a "." segment'],
    ['/a/../b', 'a ".." segment'],
    ['/zookeeper', 'the reserved tree'],
    ['/zookeeper/quota', 'inside the reserved tree'],
    ['/a\u0001b', 'a control character'],
    ['/a\ud83d\ude00', 'a character ZooKeeper refuses'],
    ['/a\ufff5', 'a specials code point'],
    [42, 'not a string'],
  ])('rejects %j (%s)', (root) => {
    expect(parameterOf(() => validateRoot(root))).toBe('root');
  });

  it('accepts ordinary roots', () => {
    for (const root of ['/locks', '/app/locks', '/zookeeper2', '/a.b/c-d_e']) validateRoot(root);
  });
});

describe('lock name escaping', () => {
  it('maps every name to one segment below the root, injectively', () => {
    expect(lockParentPath('/locks', 'orders/42')).toBe('/locks/orders%2F42');
    expect(escapeLockName('.')).toBe('%2E');
    expect(escapeLockName('..')).toBe('%2E%2E');
    expect(escapeLockName('../x')).toBe('..%2Fx');
    expect(escapeLockName('100%')).toBe('100%25');
    expect(escapeLockName('%2F')).toBe('%252F');
    expect(escapeLockName('a\u0001')).toBe('a%01');
    expect(escapeLockName('\u{1F600}')).toBe('%F0%9F%98%80');
    expect(escapeLockName('zookeeper')).toBe('zookeeper');
    const names = ['a/b', 'a%2Fb', 'a%252Fb', '.', '%2E', '..', 'a', 'a/'];
    expect(new Set(names.map(escapeLockName)).size).toBe(names.length);
    for (const name of names) expect(escapeLockName(name)).not.toContain('/');
  });
});

describe('lock nodes', () => {
  it('sorts by the sequence suffix alone, ignoring other children', () => {
    const a = `${protectedPrefix('ffffffff-0000-4000-8000-000000000000')}0000000010`;
    const b = `${protectedPrefix('00000000-0000-4000-8000-000000000000')}0000000011`;
    const c = `${protectedPrefix('77777777-0000-4000-8000-000000000000')}0000000002`;
    expect(sortLockNodes([a, 'not-a-lock-node', b, c])).toEqual([c, a, b]);
    expect(lockNodeSequence('_c_x-lock-0000000001')).toBeUndefined();
  });
});

describe('createProvider config', () => {
  it.each<[unknown, string]>([
    [null, 'config'],
    ['127.0.0.1:2181', 'config'],
    [{}, 'config.connectionString'],
    [{ connectionString: '' }, 'config.connectionString'],
    [{ connectionString: '127.0.0.1' }, 'config.connectionString[0]'],
    [{ connectionString: '127.0.0.1:2181,127.0.0.1:99999' }, 'config.connectionString[1]'],
    [{ connectionString: '127.0.0.1:2181/' }, 'config.connectionString (chroot)'],
    [{ connectionString: '127.0.0.1:2181', sessionTimeoutMs: 0 }, 'config.sessionTimeoutMs'],
    [{ connectionString: '127.0.0.1:2181', sessionTimeoutMs: 1.5 }, 'config.sessionTimeoutMs'],
    [{ connectionString: '127.0.0.1:2181', sessionTimeoutMs: '4000' }, 'config.sessionTimeoutMs'],
    [{ connectionString: '127.0.0.1:2181', root: '/zookeeper' }, 'config.root'],
    [{ connectionString: '127.0.0.1:2181', root: 'locks' }, 'config.root'],
    [{ connectionString: '127.0.0.1:2181', connectTimeoutMs: -1 }, 'config.connectTimeoutMs'],
    [{ connectionString: '127.0.0.1:2181', sesionTimeoutMs: 5000 }, 'config.sesionTimeoutMs'],
  ])('rejects %j naming %s, before any I/O', (config, parameter) => {
    expect(parameterOf(() => createProvider(config as never))).toBe(parameter);
  });

  it('builds a provider from a JSON config without connecting', async () => {
    const provider = createProvider({
      connectionString: '127.0.0.1:1,127.0.0.1:2/app',
      sessionTimeoutMs: 6000,
    });
    expect(provider).toBeInstanceOf(ZooKeeperProvider);
    expect(provider.requestedSessionTimeoutMs).toBe(6000);
    expect(provider.root).toBe('/locks');
    expect(provider.capabilities).toMatchObject({
      backend: 'zk',
      durability: 'consensus',
      fencing: true,
      fifo: true,
    });
    expect(createProvider({ connectionString: '127.0.0.1:2181' }).capabilities.durability).toBe(
      'single-node',
    );
    expect(provider.sessionCount).toBe(0);
    await provider.close();
  });
});
