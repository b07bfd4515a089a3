import { checkSettings, InvalidConfigError, parseSettings } from '@lock/core';
import { describe, expect, it } from 'vitest';
import {
  createProvider,
  kinds,
  Mutex,
  MutexProvider,
  mutexKind,
  SharedMutex,
  SharedMutexProvider,
  sharedMutexKind,
} from '../src/index.js';
import { invalidArgument } from './invalid-argument.js';

const CAPACITY = 'an integer number of slots from 1 to 1048576';
const MAX_THREADS = 'a power of two from 2 to 4096';

/** The problems `checkSettings` finds, as `path: expected ..., received ...` pairs. */
function problems(schema: typeof sharedMutexKind.settings | typeof mutexKind.settings, input: unknown) {
  const checked = checkSettings(schema, input, 'config');
  return checked.issues.map(({ path, expected, received }) => ({ path, expected, received }));
}

describe('kinds of @lock/mutex', () => {
  it('exports the mutex and shared-mutex descriptors, named as the selector knows them', () => {
    expect(kinds.map((kind) => kind.kind)).toEqual(['mutex', 'shared-mutex']);
    expect(kinds).toEqual([mutexKind, sharedMutexKind]);
    for (const kind of kinds) {
      expect(kind.packageName).toBe('@lock/mutex');
      expect(kind.install).toBe('npm install @lock/mutex');
      expect(kind.summary.length).toBeGreaterThan(0);
      expect(kind.leaseSetting).toBeUndefined(); // grants never expire: no lease length to set
      expect(kind.defaultProfile.source).toBe('declared');
      expect(checkSettings(kind.settings as never, kind.strongest, 'strongest').ok).toBe(true);
    }
    expect(mutexKind.defaultProfile).toMatchObject({ acquireReleaseP50Ms: 0.0003, opsPerSec: 1_000_000 });
    expect(sharedMutexKind.defaultProfile).toMatchObject({ acquireReleaseP50Ms: 0.001, opsPerSec: 500_000 });
    // Only the shared kind publishes a process table that workers must find when they start.
    expect(mutexKind.prepareInMainThread).toBeUndefined();
    expect(sharedMutexKind.prepareInMainThread).toBe(true);
  });
});

describe('the mutex kind', () => {
  it('has no settings: an empty object is valid, any key is an error, a non-object is named', () => {
    expect(checkSettings(mutexKind.settings, {}, 'config')).toMatchObject({ ok: true, value: {} });
    expect(problems(mutexKind.settings, { capacity: 8 })).toEqual([
      { path: 'config.capacity', expected: 'a known key (known: none)', received: 'the key "capacity"' },
    ]);
    expect(problems(mutexKind.settings, 'x')).toEqual([
      {
        path: 'config',
        expected: 'an object with no settings (the mutex kind has none)',
        received: '"x"',
      },
    ]);
  });

  it('declares the capabilities its provider and locks declare, one object', () => {
    const capabilities = mutexKind.capabilities({});
    expect(capabilities).toMatchObject({ backend: 'mutex', scope: 'process', fifo: true, fencing: true });
    const provider = mutexKind.createProvider({}) as MutexProvider;
    expect(provider).toBeInstanceOf(MutexProvider);
    expect(provider.capabilities).toBe(capabilities);
    expect(provider.lock('a').capabilities).toBe(capabilities);
    expect(new Mutex().capabilities).toBe(capabilities);
    expect(Object.isFrozen(capabilities)).toBe(true);
  });

  it('has one address: every provider is a world of its own', () => {
    expect(mutexKind.address({})).toBe('mutex');
  });
});

describe('the shared-mutex kind', () => {
  it('fills in the defaults', () => {
    expect(parseSettings(sharedMutexKind.settings, {}, 'config')).toEqual({ capacity: 256, maxThreads: 64 });
    expect(parseSettings(sharedMutexKind.settings, { maxThreads: 2 }, 'config')).toEqual({
      capacity: 256,
      maxThreads: 2,
    });
  });

  it('names every rule with its JSON path, what was expected and what was received', () => {
    const cases: [Record<string, unknown>, string, string, string][] = [
      [{ capacity: 0 }, 'config.capacity', CAPACITY, '0'],
      [{ capacity: 1.5 }, 'config.capacity', CAPACITY, '1.5'],
      [{ capacity: 2 ** 20 + 1 }, 'config.capacity', CAPACITY, '1048577'],
      [{ capacity: '8' }, 'config.capacity', CAPACITY, '"8"'],
      [{ maxThreads: 3 }, 'config.maxThreads', MAX_THREADS, '3'],
      [{ maxThreads: 1 }, 'config.maxThreads', MAX_THREADS, '1'],
      [{ maxThreads: 8192 }, 'config.maxThreads', MAX_THREADS, '8192'],
      [{ maxThreads: 2.5 }, 'config.maxThreads', MAX_THREADS, '2.5'],
      [{ maxThreads: null }, 'config.maxThreads', MAX_THREADS, 'null'],
    ];
    for (const [input, path, expected, received] of cases) {
      expect(problems(sharedMutexKind.settings, input)).toEqual([{ path, expected, received }]);
    }
    expect(problems(sharedMutexKind.settings, 64)).toEqual([
      {
        path: 'config',
        expected: 'an object of shared-mutex settings (capacity, maxThreads)',
        received: '64',
      },
    ]);
  });

  it('reports every problem of one config at once, an unknown key with the closest known one', () => {
    expect(problems(sharedMutexKind.settings, { capacity: 0, maxThreads: 3, capacty: 8 })).toEqual([
      { path: 'config.capacity', expected: CAPACITY, received: '0' },
      { path: 'config.maxThreads', expected: MAX_THREADS, received: '3' },
      {
        path: 'config.capacty',
        expected: 'a known key; did you mean `capacity`? (known: `capacity`, `maxThreads`)',
        received: 'the key "capacty"',
      },
    ]);
  });

  it('declares the capabilities its provider and locks declare, one object', () => {
    const settings = parseSettings(sharedMutexKind.settings, { capacity: 8 }, 'config');
    const capabilities = sharedMutexKind.capabilities(settings);
    expect(capabilities).toMatchObject({ backend: 'shared-mutex', scope: 'threads', fifo: true });
    expect(sharedMutexKind.capabilities(parseSettings(sharedMutexKind.settings, {}, 'config'))).toBe(
      capabilities,
    );
    const provider = sharedMutexKind.createProvider(settings) as SharedMutexProvider;
    expect(provider.capabilities).toBe(capabilities);
    expect(provider.lock('a').capabilities).toBe(capabilities);
    expect(new SharedMutexProvider().capabilities).toBe(capabilities);
    expect(new SharedMutex().capabilities).toBe(capabilities);
  });

  it("builds its provider on the process's table of the settings' shape, and its address names that shape", async () => {
    const settings = parseSettings(sharedMutexKind.settings, { capacity: 11 }, 'config');
    const provider = sharedMutexKind.createProvider(settings) as SharedMutexProvider;
    expect(provider).toBeInstanceOf(SharedMutexProvider);
    expect(provider.handle.buffer).toBe(
      createProvider({ backend: 'shared-mutex', capacity: 11 }).handle.buffer,
    );
    expect(sharedMutexKind.address(settings)).toBe('shared-mutex?capacity=11&maxThreads=64');
    const other = parseSettings(sharedMutexKind.settings, { capacity: 11, maxThreads: 8 }, 'config');
    expect(sharedMutexKind.address(other)).not.toBe(sharedMutexKind.address(settings));
    await provider.close();
  });
});

describe('createProvider(config) of @lock/mutex', () => {
  it("`backend` picks the kind: 'mutex' by default, or 'shared-mutex'", async () => {
    expect(createProvider()).toBeInstanceOf(MutexProvider);
    expect(createProvider({ backend: 'mutex' })).toBeInstanceOf(MutexProvider);
    const shared = createProvider({ backend: 'shared-mutex', capacity: 12 });
    expect(shared).toBeInstanceOf(SharedMutexProvider);
    await shared.close();
  });

  it("refuses with the kinds' own words, every problem at once, before anything is made", () => {
    const refused = (config: unknown) => {
      try {
        createProvider(config as never);
      } catch (error) {
        expect(InvalidConfigError.isInstance(error)).toBe(true);
        return (error as InvalidConfigError).issues.map(({ path, expected, received }) => ({
          path,
          expected,
          received,
        }));
      }
      throw new Error('expected an InvalidConfigError');
    };
    const shape = { capacity: 0, maxThreads: 3 };
    expect(refused({ backend: 'shared-mutex', ...shape })).toEqual(problems(sharedMutexKind.settings, shape));
    expect(refused({ backend: 'redis' })).toEqual([
      { path: 'config.backend', expected: "'mutex' (the default) or 'shared-mutex'", received: '"redis"' },
    ]);
    expect(refused({ capacity: 8 })).toEqual([
      {
        path: 'config.capacity',
        expected: 'a known key (known: `backend`)',
        received: 'the key "capacity"',
      },
    ]);
    expect(refused({ backend: 'shared-mutex', maxThread: 8 })).toEqual([
      {
        path: 'config.maxThread',
        expected: 'a known key; did you mean `maxThreads`? (known: `backend`, `capacity`, `maxThreads`)',
        received: 'the key "maxThread"',
      },
    ]);
    expect(refused(null)).toEqual([{ path: 'config', expected: 'a configuration object', received: 'null' }]);
  });

  it("the constructors refuse a table's shape with the same words as the settings", () => {
    const capacity = invalidArgument(() => new SharedMutexProvider({ capacity: 0 }));
    expect([capacity.parameter, capacity.value, capacity.expected]).toEqual([
      'options.capacity',
      0,
      CAPACITY,
    ]);
    const threads = invalidArgument(() => new SharedMutex('x', { maxThreads: 3 }));
    expect([threads.parameter, threads.value, threads.expected]).toEqual([
      'options.maxThreads',
      3,
      MAX_THREADS,
    ]);
    const unknown = invalidArgument(() => new SharedMutexProvider({ capacty: 8 } as never));
    expect(unknown.parameter).toBe('options.capacty');
    expect(unknown.expected).toContain('did you mean `capacity`?');
  });
});
