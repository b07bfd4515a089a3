import { describe, expect, it } from 'vitest';
import {
  compareTokens,
  InvalidArgumentError,
  LockError,
  LockLostError,
  LockTimeoutError,
  NoBackendSatisfiesError,
  parseToken,
  validateAcquireOptions,
  validateLockName,
  validateLockOptions,
} from '../src/index.js';

describe('errors', () => {
  it('are recognised across copies of the package by their Symbol.for marker', () => {
    const foreign = Object.assign(new Error('x'), {
      [Symbol.for('@lock/core.LockError')]: true,
      [Symbol.for('@lock/core.LockTimeoutError')]: true,
    });
    expect(LockError.isInstance(foreign)).toBe(true);
    expect(LockTimeoutError.isInstance(foreign)).toBe(true);
    expect(LockLostError.isInstance(foreign)).toBe(false);
    expect(LockError.isInstance(new Error('plain'))).toBe(false);
    expect(LockError.isInstance(null)).toBe(false);
  });

  it('carry a code, the lock name and a message naming the value', () => {
    const error = new InvalidArgumentError('options.ttlMs', -5, 'a positive integer', 'orders');
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.lockName).toBe('orders');
    expect(error.message).toBe(
      'Invalid options.ttlMs: expected a positive integer, received -5 (lock "orders")',
    );
    expect(error).toBeInstanceOf(LockError);
    expect(error.name).toBe('InvalidArgumentError');
  });

  it('NoBackendSatisfiesError lists each candidate and why it was refused', () => {
    const error = new NoBackendSatisfiesError(
      'payments',
      ['durability consensus'],
      [{ backend: 'redis', accepted: false, reasons: ['durability single-node < consensus required'] }],
    );
    expect(error.message).toContain('redis: durability single-node < consensus required');
    expect(error.unmet).toEqual(['durability consensus']);
  });
});

describe('validation', () => {
  it.each([
    [undefined, 'a string'],
    [42, 'a string'],
    ['', 'not only whitespace'],
    ['  \t', 'not only whitespace'],
    ['a\0b', 'NUL'],
    ['x'.repeat(1025), 'at most 1024'],
  ])('rejects the name %j', (name, expected) => {
    expect(() => validateLockName(name)).toThrow(expected);
  });

  it.each([
    [{ timeoutMs: -1 }, 'options.timeoutMs'],
    [{ timeoutMs: Number.NaN }, 'options.timeoutMs'],
    [{ timeoutMs: 2 ** 31 }, 'options.timeoutMs'],
    [{ signal: {} }, 'options.signal'],
    [{ ttlMs: 0.5 }, 'options.ttlMs'],
    [null, 'options'],
  ])('rejects acquire options %j naming %s', (options, parameter) => {
    try {
      validateAcquireOptions(options as never, 'orders');
      expect.unreachable();
    } catch (error) {
      expect((error as InvalidArgumentError).parameter).toBe(parameter);
      expect((error as Error).message).toContain('(lock "orders")');
    }
  });

  it('accepts a timeout of 0 and no options at all', () => {
    expect(() => validateAcquireOptions({ timeoutMs: 0 }, 'a')).not.toThrow();
    expect(() => validateAcquireOptions(undefined, 'a')).not.toThrow();
  });

  it('rejects a renewal interval above half the TTL', () => {
    expect(() => validateLockOptions({ ttlMs: 1_000, renewEveryMs: 501 }, 'a')).toThrow(
      /at most half of ttlMs/,
    );
    expect(() => validateLockOptions({ ttlMs: 1_000, renewEveryMs: 500 }, 'a')).not.toThrow();
  });
});

describe('tokens', () => {
  it('parse only non-negative decimal integers and compare as bigint', () => {
    expect(parseToken('18446744073709551617')).toBe(18446744073709551617n);
    for (const bad of ['', '-1', '1e3', '0x10', ' 1', '01', 1, null])
      expect(() => parseToken(bad)).toThrow(InvalidArgumentError);
    expect(compareTokens(parseToken('10'), parseToken('9'))).toBe(1);
  });
});
