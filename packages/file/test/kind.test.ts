import { checkSettings, formatIssue, InvalidArgumentError, InvalidConfigError } from '@lock/core';
import { describe, expect, it } from 'vitest';
import {
  createProvider,
  defaultLockDirectory,
  FileProvider,
  fileCapabilities,
  fileKind,
  kinds,
} from '../src/index.js';

/** The one line each problem is reported with, for `settings` under `path`. */
function problems(settings: unknown, path = 'backends.host'): string[] {
  return checkSettings(fileKind.settings, settings, path).issues.map(formatIssue);
}

// Each bad setting -> the one line it is reported with: JSON path, what was expected, what was received.
const badSettings: Array<[string, unknown, string]> = [
  [
    'not an object',
    42,
    'backends.host: expected an object such as {} or { "directory": "/run/user/1000/lock" }, received 42',
  ],
  ['null', null, 'backends.host: expected an object such as {} or'],
  ['an array', [], 'backends.host: expected an object such as {} or'],
  [
    'a relative directory',
    { directory: 'locks' },
    'backends.host.directory: expected an absolute path to a directory, such as "/run/user/1000/lock", received "locks"',
  ],
  [
    'an empty directory',
    { directory: '' },
    'backends.host.directory: expected an absolute path to a directory, such as "/run/user/1000/lock", received ""',
  ],
  [
    'a directory with a NUL',
    { directory: '/tmp/a\0b' },
    'backends.host.directory: expected an absolute path to a directory, such as "/run/user/1000/lock" (without NUL characters)',
  ],
  [
    'a directory that is not a string',
    { directory: 7 },
    'backends.host.directory: expected an absolute path to a directory, such as "/run/user/1000/lock", received 7',
  ],
  [
    'a misspelt key',
    { dir: '/tmp/locks' },
    'backends.host.dir: expected a known key; did you mean `directory`? (known: `directory`), received the key "dir"',
  ],
  [
    'a key of another kind',
    { ttlMs: 1000 },
    'backends.host.ttlMs: expected a known key (known: `directory`)',
  ],
];

describe('the file kind', () => {
  it('is the one kind the package exports, with the facts the selector reads', () => {
    expect(kinds).toEqual([fileKind]);
    expect(fileKind.kind).toBe('file');
    expect(fileKind.packageName).toBe('@lock/file');
    expect(fileKind.install).toBe('npm install @lock/file');
    expect(fileKind.leaseSetting).toBeUndefined();
    expect(fileKind.prepareInMainThread).toBeUndefined();
    expect(fileKind.defaultProfile.source).toBe('declared');
    expect(checkSettings(fileKind.settings, fileKind.strongest, 'strongest').ok).toBe(true);
  });

  it.each(badSettings)('%s', (_title, settings, line) => {
    const reported = problems(settings);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toContain(line);
  });

  it('reports every problem of one entry at once', () => {
    expect(problems({ directory: 'relative', ttl: 3, dir: '/x' })).toEqual([
      expect.stringMatching(/^backends\.host\.directory: expected an absolute path .*, received "relative"$/),
      expect.stringMatching(/^backends\.host\.ttl: expected a known key/),
      expect.stringMatching(/^backends\.host\.dir: expected a known key; did you mean `directory`\?/),
    ]);
  });

  it('accepts {} and an absolute directory', () => {
    expect(checkSettings(fileKind.settings, {}, 'f').value).toEqual({});
    expect(checkSettings(fileKind.settings, { directory: '/var/lock/app' }, 'f').value).toEqual({
      directory: '/var/lock/app',
    });
  });

  it('declares one set of capabilities, and its providers declare the same', async () => {
    expect(fileKind.capabilities).toBe(fileCapabilities);
    for (const settings of [{}, { directory: '/tmp/elsewhere' }]) {
      const capabilities = fileKind.capabilities(settings);
      expect(capabilities).toMatchObject({ backend: 'file', scope: 'host', fencing: true, leases: true });
      expect(capabilities.ttl).toBeUndefined();
      const provider = fileKind.createProvider(settings);
      expect(provider).toBeInstanceOf(FileProvider);
      expect(provider.capabilities).toEqual(capabilities);
      expect(createProvider(settings).capabilities).toEqual(capabilities);
      await provider.close();
    }
  });

  it('has the directory as its address (the default one when none is set)', () => {
    expect(fileKind.address({ directory: '/var/lock/app' })).toBe('file:///var/lock/app');
    expect(fileKind.address({})).toBe(`file://${defaultLockDirectory()}`);
  });
});

describe('createProvider and the constructor', () => {
  it.each(badSettings)('refuse %s with the same words, before any I/O', (_title, settings) => {
    const expected = checkSettings(fileKind.settings, settings, 'config').issues;
    const fromConfig = caught(() => createProvider(settings as never));
    expect(InvalidConfigError.isInstance(fromConfig)).toBe(true);
    expect((fromConfig as InvalidConfigError).issues).toEqual(expected);
    expect((fromConfig as InvalidConfigError).parameter).toBe(expected[0]!.path);
    const fromOptions = caught(() => new FileProvider(settings as never));
    expect(InvalidArgumentError.isInstance(fromOptions)).toBe(true);
    expect((fromOptions as InvalidArgumentError).parameter.replace(/^options/, 'config')).toBe(
      expected[0]!.path,
    );
    expect((fromOptions as InvalidArgumentError).expected).toBe(expected[0]!.expected);
  });

  it('builds a provider from {} without touching the file system', async () => {
    const directory = '/nonexistent/never/created';
    const provider = createProvider({ directory });
    expect(provider.directory).toBe(directory);
    expect(provider.pathOf('x')).toMatch(/^\/nonexistent\/never\/created\/x-[0-9a-f]{20}\.lock$/);
    await provider.close();
    expect(createProvider().directory).toBe(defaultLockDirectory());
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
