import { checkSettings } from '@lock/core';
import { describe, expect, it } from 'vitest';
import { zkKind } from '../src/index.js';
import {
  escapeLockName,
  lockNodeSequence,
  lockParentPath,
  protectedPrefix,
  rootProblem,
  sortLockNodes,
} from '../src/internal.js';

/** The paths of the problems the kind's schema finds with `root`. */
function rootIssues(root: unknown): string[] {
  return checkSettings(zkKind.settings, { connectionString: '127.0.0.1:2181', root }, 'config').issues.map(
    (issue) => issue.path,
  );
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
    expect(rootIssues(root)).toEqual(['config.root']);
  });

  it('accepts ordinary roots', () => {
    for (const root of ['/locks', '/app/locks', '/zookeeper2', '/a.b/c-d_e']) {
      expect(rootProblem(root)).toBeUndefined();
      expect(rootIssues(root)).toEqual([]);
    }
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
