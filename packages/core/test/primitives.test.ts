import { describe, expect, it } from 'vitest';
import {
  type Capabilities,
  InvalidArgumentError,
  type Lock,
  type LockOptions,
  MAX_PERMITS,
  PermitsMismatchError,
  ProviderClosedError,
  type ReadWriteLock,
  UnsupportedCapabilityError,
} from '../src/index.js';
import { ScriptedLock, ScriptedProvider } from './fixtures.js';

/** A provider that declares both primitives and records what its hooks were given. */
class PrimitivesProvider extends ScriptedProvider {
  override readonly capabilities: Capabilities = {
    ...new ScriptedProvider().capabilities,
    readWrite: true,
    semaphore: true,
  };
  made: unknown[] = [];

  protected override createReadWriteLock(name: string, options: LockOptions | undefined): ReadWriteLock {
    this.made.push(['rw', name, options]);
    return {
      name,
      read: new ScriptedLock(name, { owner: this }),
      write: new ScriptedLock(name, { owner: this }),
    };
  }

  protected override createSemaphore(name: string, permits: number, options: LockOptions | undefined): Lock {
    this.made.push(['semaphore', name, permits, options]);
    return new ScriptedLock(name, { owner: this });
  }
}

describe('read-write locks and semaphores on BaseProvider', () => {
  it('a backend without them says so with UnsupportedCapabilityError, naming the backend and the lock', () => {
    const provider = new ScriptedProvider();
    const rw = (() => {
      try {
        provider.readWriteLock('orders');
      } catch (error) {
        return error;
      }
    })();
    expect(UnsupportedCapabilityError.isInstance(rw)).toBe(true);
    expect((rw as Error).message).toBe(
      'scripted does not support read-write locks (lock "orders"): its capabilities declare no readWrite; use lock() for an exclusive lock',
    );
    expect(() => provider.semaphore('orders', 3)).toThrow(UnsupportedCapabilityError);
  });

  it('checks the name, permits and options before the backend is asked', () => {
    const provider = new PrimitivesProvider();
    expect(() => provider.readWriteLock('')).toThrow(InvalidArgumentError);
    expect(() => provider.readWriteLock('x', { ttlMs: -1 })).toThrow(/options\.ttlMs/);
    expect(() => provider.readWriteLock('x', { tllMs: 5 } as LockOptions)).toThrow(/did you mean `ttlMs`/);
    for (const permits of [0, -1, 1.5, Number.NaN, MAX_PERMITS + 1, '3', undefined]) {
      expect(() => provider.semaphore('x', permits as number), String(permits)).toThrow(
        new InvalidArgumentError('permits', permits, `a whole number from 1 to ${MAX_PERMITS}`, 'x'),
      );
    }
    expect(provider.made).toEqual([]);
    provider.readWriteLock('x', { ttlMs: 5000 });
    provider.semaphore('x', MAX_PERMITS);
    expect(provider.made).toEqual([
      ['rw', 'x', { ttlMs: 5000 }],
      ['semaphore', 'x', MAX_PERMITS, undefined],
    ]);
  });

  it('refuses both after close()', async () => {
    const provider = new PrimitivesProvider();
    await provider.close();
    expect(() => provider.readWriteLock('x')).toThrow(ProviderClosedError);
    expect(() => provider.semaphore('x', 2)).toThrow(ProviderClosedError);
  });

  it('PermitsMismatchError names both numbers and is recognised by its marker', () => {
    const error = new PermitsMismatchError('pool', 4, 3);
    expect(error.code).toBe('PERMITS_MISMATCH');
    expect([error.permits, error.existingPermits, error.lockName]).toEqual([4, 3, 'pool']);
    expect(error.message).toMatch(/"pool" was acquired with 4 permits, but its holders and waiters use 3/);
    expect(PermitsMismatchError.isInstance(new Error(error.message))).toBe(false);
    expect(PermitsMismatchError.isInstance(error)).toBe(true);
  });
});
