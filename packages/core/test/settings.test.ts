import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  checkSettings,
  closestKey,
  InvalidArgumentError,
  InvalidConfigError,
  millisecondsSetting,
  parseSettings,
  schemaKeys,
  settingsObject,
  validateAcquireOptions,
  validateLockOptions,
} from '../src/index.js';
import { ScriptedLock, ScriptedProvider } from './fixtures.js';

const settings = v.strictObject({
  url: v.pipe(v.string('a redis:// URL'), v.regex(/^rediss?:\/\//, 'a redis:// URL')),
  endpoints: v.optional(v.array(v.string('a URL string'))),
  ttlMs: v.optional(millisecondsSetting()),
  nested: v.optional(v.strictObject({ depth: v.optional(v.number()) })),
});

describe('settings validated by a schema', () => {
  it('reports every problem with its JSON path, what was expected and what was received', () => {
    const checked = checkSettings(
      settings,
      { url: 'http://x', endpoints: ['a', 3], ttlMs: 1.5, ttl: 5, nested: { dept: 1 } },
      'backends.cache',
    );
    expect(checked.ok).toBe(false);
    expect(checked.issues.map((issue) => [issue.path, issue.expected, issue.received])).toEqual([
      ['backends.cache.url', 'a redis:// URL', '"http://x"'],
      ['backends.cache.endpoints[1]', 'a URL string', '3'],
      ['backends.cache.ttlMs', 'a positive integer number of milliseconds, at most 2147483647', '1.5'],
      ['backends.cache.nested.dept', 'a known key; did you mean `depth`? (known: `depth`)', 'the key "dept"'],
      [
        'backends.cache.ttl',
        'a known key; did you mean `ttlMs`? (known: `url`, `endpoints`, `ttlMs`, `nested`)',
        'the key "ttl"',
      ],
    ]);
  });

  it('throws one InvalidConfigError listing them all, which is an InvalidArgumentError', () => {
    try {
      parseSettings(settings, { url: 5, ttl: 1 }, 'config', 'lock.config.json');
      expect.unreachable();
    } catch (error) {
      expect(InvalidConfigError.isInstance(error)).toBe(true);
      expect(InvalidArgumentError.isInstance(error)).toBe(true);
      const config = error as InvalidConfigError;
      expect(config.parameter).toBe('config.url');
      expect(config.issues).toHaveLength(2);
      expect(config.message).toBe(
        'Invalid configuration in lock.config.json (2 problems):\n' +
          '  config.url: expected a redis:// URL, received 5\n' +
          '  config.ttl: expected a known key; did you mean `ttlMs`? (known: `url`, `endpoints`, `ttlMs`, `nested`), received the key "ttl"',
      );
    }
  });

  it('returns the validated settings', () => {
    expect(parseSettings(settings, { url: 'redis://h:1', ttlMs: 500 }, 'config')).toEqual({
      url: 'redis://h:1',
      ttlMs: 500,
    });
  });

  it('suggests the closest key, or none when nothing is close', () => {
    expect(closestKey('timeout', ['timeoutMs', 'signal', 'ttlMs'])).toBe('timeoutMs');
    expect(closestKey('ttl', ['timeoutMs', 'signal', 'ttlMs'])).toBe('ttlMs');
    expect(closestKey('sigal', ['timeoutMs', 'signal', 'ttlMs'])).toBe('signal');
    expect(closestKey('colour', ['timeoutMs', 'signal', 'ttlMs'])).toBeUndefined();
  });
});

describe('misspelt options are errors, not silence', () => {
  it('acquire({ timeout }) names the key and suggests timeoutMs', async () => {
    const lock = new ScriptedLock('orders', { expiring: false });
    const attempt = await lock.acquire({ timeout: 10 } as never).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(InvalidArgumentError.isInstance(attempt)).toBe(true);
    expect((attempt as InvalidArgumentError).parameter).toBe('options.timeout');
    expect((attempt as Error).message).toMatch(/did you mean `timeoutMs`\?/);
    expect((attempt as Error).message).toMatch(/\(lock "orders"\)$/);
  });

  it('tryAcquire takes no timeoutMs: it never waits', () => {
    expect(() => validateAcquireOptions({ timeoutMs: 5 }, 'a', false)).toThrow(/options\.timeoutMs/);
    expect(() => validateAcquireOptions({ timeoutMs: 5 }, 'a')).not.toThrow();
  });

  it('provider.lock(name, { ttl }) is refused with a hint', () => {
    const provider = new ScriptedProvider();
    expect(() => provider.lock('a', { ttl: 5 } as never)).toThrow(
      /options\.ttl: expected a known option; did you mean `ttlMs`\?/,
    );
    expect(() => validateLockOptions({ maxHold: 5 } as never, 'a')).toThrow(/did you mean `maxHoldMs`/);
  });
});

describe('one problem, one line', () => {
  it('a value failing several checks worded alike is reported once', () => {
    const checked = checkSettings(v.strictObject({ ttlMs: millisecondsSetting() }), { ttlMs: 0.5 }, 'config');
    expect(checked.issues).toHaveLength(1);
  });

  it('a missing required key says what its own schema expects', () => {
    const checked = checkSettings(settings, {}, 'config');
    expect(checked.issues.map((issue) => [issue.path, issue.expected, issue.received])).toEqual([
      ['config.url', 'a redis:// URL', 'undefined'],
    ]);
  });
});

describe('every unknown key, and no arrays for objects', () => {
  it('reports each unknown key of an object, not only the first', () => {
    const checked = checkSettings(settings, { url: 'redis://h', ttlMS: 1, colour: 'red' }, 'config');
    expect(checked.issues.map((issue) => issue.path)).toEqual(['config.ttlMS', 'config.colour']);
    expect(checked.issues[0]!.expected).toMatch(/did you mean `ttlMs`\?/);
  });

  it('settingsObject refuses an array where its object belongs', () => {
    const schema = settingsObject({ url: v.optional(v.string()) }, 'an object of Redis settings');
    const checked = checkSettings(schema, [], 'config');
    expect(checked.issues.map((issue) => [issue.path, issue.expected, issue.received])).toEqual([
      ['config', 'an object of Redis settings', 'an instance of Array'],
    ]);
    expect(schemaKeys(schema)).toEqual(['url']);
  });
});
