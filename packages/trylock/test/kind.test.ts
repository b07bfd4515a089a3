import { checkSettings, InvalidArgumentError, InvalidConfigError, parseSettings } from '@lock/core';
import { describe, expect, it } from 'vitest';
import { createProvider, kinds, TryLockAdapter, TryLockProvider, tryLockKind } from '../src/index.js';

const CAPACITY = 'an integer number of names from 1 to 1048576';

/** The problems `checkSettings` finds, as `path: expected ..., received ...` pairs. */
function problems(input: unknown) {
  const checked = checkSettings(tryLockKind.settings, input, 'config');
  return checked.issues.map(({ path, expected, received }) => ({ path, expected, received }));
}

describe('the trylock kind', () => {
  it('is the one kind of @lock/trylock, named as the selector knows it', () => {
    expect(kinds).toEqual([tryLockKind]);
    expect(tryLockKind).toMatchObject({
      kind: 'trylock',
      packageName: '@lock/trylock',
      install: 'npm install @lock/trylock',
      defaultProfile: { acquireReleaseP50Ms: 0.0008, opsPerSec: 500_000, source: 'declared' },
      prepareInMainThread: true, // its provider publishes a process table that workers find when they start
    });
    expect(tryLockKind.leaseSetting).toBeUndefined();
    expect(tryLockKind.summary.length).toBeGreaterThan(0);
    expect(checkSettings(tryLockKind.settings, tryLockKind.strongest, 'strongest').ok).toBe(true);
  });

  it('fills in the default capacity', () => {
    expect(parseSettings(tryLockKind.settings, {}, 'config')).toEqual({ capacity: 1024 });
  });

  it('names every rule with its JSON path, what was expected and what was received', () => {
    const cases: [unknown, string][] = [
      [0, '0'],
      [1.5, '1.5'],
      [2 ** 20 + 1, '1048577'],
      ['8', '"8"'],
      [null, 'null'],
    ];
    for (const [capacity, received] of cases) {
      expect(problems({ capacity })).toEqual([{ path: 'config.capacity', expected: CAPACITY, received }]);
    }
    expect(problems('x')).toEqual([
      { path: 'config', expected: 'an object of trylock settings (capacity)', received: '"x"' },
    ]);
  });

  it('reports every problem of one config at once, an unknown key with the closest known one', () => {
    expect(problems({ capacity: 0, capacty: 8 })).toEqual([
      { path: 'config.capacity', expected: CAPACITY, received: '0' },
      {
        path: 'config.capacty',
        expected: 'a known key; did you mean `capacity`? (known: `capacity`)',
        received: 'the key "capacty"',
      },
    ]);
    expect(problems({ url: 'x' })).toEqual([
      { path: 'config.url', expected: 'a known key (known: `capacity`)', received: 'the key "url"' },
    ]);
  });

  it('declares the capabilities its provider and locks declare, one object', async () => {
    const settings = parseSettings(tryLockKind.settings, { capacity: 13 }, 'config');
    const capabilities = tryLockKind.capabilities(settings);
    expect(capabilities).toMatchObject({ backend: 'trylock', scope: 'threads', waiting: 'none' });
    const provider = tryLockKind.createProvider(settings) as TryLockProvider;
    expect(provider.capabilities).toBe(capabilities);
    expect(provider.lock('a').capabilities).toBe(capabilities);
    expect(new TryLockProvider().capabilities).toBe(capabilities);
    expect(new TryLockAdapter('b').capabilities).toBe(capabilities);
    await provider.close();
  });

  it("builds its provider on the process's table of that capacity, and its address names it", async () => {
    const settings = parseSettings(tryLockKind.settings, { capacity: 14 }, 'config');
    const provider = tryLockKind.createProvider(settings) as TryLockProvider;
    expect(provider).toBeInstanceOf(TryLockProvider);
    expect(provider.handle.buffer).toBe(createProvider({ capacity: 14 }).handle.buffer);
    expect(tryLockKind.address(settings)).toBe('trylock?capacity=14');
    expect(tryLockKind.address(parseSettings(tryLockKind.settings, {}, 'config'))).toBe(
      'trylock?capacity=1024',
    );
    await provider.close();
  });

  it('createProvider(config) and the provider refuse the same values with the same words', () => {
    const config = { capacity: 0, capacty: 8 };
    let caught: unknown;
    try {
      createProvider(config as never);
    } catch (error) {
      caught = error;
    }
    expect(InvalidConfigError.isInstance(caught)).toBe(true);
    const issues = (caught as InvalidConfigError).issues.map(({ path, expected, received }) => ({
      path,
      expected,
      received,
    }));
    expect(issues).toEqual(problems(config));
    let constructed: unknown;
    try {
      new TryLockProvider({ capacity: 0 });
    } catch (error) {
      constructed = error;
    }
    expect(InvalidArgumentError.isInstance(constructed)).toBe(true);
    expect((constructed as InvalidArgumentError).parameter).toBe('options.capacity');
    expect((constructed as InvalidArgumentError).expected).toBe(CAPACITY);
  });
});
