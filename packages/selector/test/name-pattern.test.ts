import { describe, expect, it } from 'vitest';
import { NamePattern } from '../src/internal.js';

describe('NamePattern', () => {
  it.each([
    ['orders:*', 'orders:1', true],
    ['orders:*', 'orders:', true],
    ['orders:*', 'orders', false],
    ['orders:*', 'xorders:1', false],
    ['*', '', true],
    ['*:lock', 'a/b:c:lock', true],
    ['job-?', 'job-1', true],
    ['job-?', 'job-12', false],
    ['a.b', 'axb', false],
    ['a.b', 'a.b', true],
    ['(x)+[y]', '(x)+[y]', true],
    ['$^|\\', '$^|\\', true],
    ['é*', 'élan', true],
    ['*\n*', 'a\nb', true],
  ])('%j matches %j: %s', (pattern, name, expected) => {
    expect(new NamePattern(pattern).matches(name)).toBe(expected);
  });

  it('an exact name wins, then the most literal characters, then the first declared', () => {
    const patterns = ['*', 'orders:*', 'orders:eu:*', 'orders:eu:1', '*:1', 'or*'].map(
      (source) => new NamePattern(source),
    );
    const best = (name: string) => NamePattern.best(patterns, name)?.source;
    expect(best('orders:eu:1')).toBe('orders:eu:1');
    expect(best('orders:eu:2')).toBe('orders:eu:*');
    expect(best('orders:us:1')).toBe('orders:*');
    expect(best('users:1')).toBe('*:1');
    expect(best('other')).toBe('*');
    expect(NamePattern.best([new NamePattern('a*'), new NamePattern('*a')], 'aa')?.source).toBe('a*');
    expect(NamePattern.best([new NamePattern('x')], 'y')).toBeUndefined();
  });
});
