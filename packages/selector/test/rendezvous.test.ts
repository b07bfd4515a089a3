import { describe, expect, it } from 'vitest';
import { fnv1a64, mix64, rendezvousIndex } from '../src/internal.js';

const NAMES = Array.from({ length: 10_000 }, (_, index) => `orders:${index}`);
const THREE = ['redis://10.0.0.1:6379', 'redis://10.0.0.2:6379', 'redis://10.0.0.3:6379'];
const FOUR = [...THREE, 'redis://10.0.0.4:6379'];

describe('stable hash', () => {
  it('is FNV-1a 64 (reference vectors)', () => {
    expect(fnv1a64('')).toBe(0xcbf29ce484222325n);
    expect(fnv1a64('a')).toBe(0xaf63dc4c8601ec8cn);
    expect(fnv1a64('foobar')).toBe(0x85944171f73967e8n);
  });

  it('hashes UTF-8 bytes, so every process and platform agrees', () => {
    expect(fnv1a64('é')).toBe(fnv1a64('\u00e9'));
    expect(fnv1a64('é')).not.toBe(fnv1a64('e'));
  });

  it('mix64 is a 64-bit bijection-like finalizer', () => {
    expect(mix64(0n)).toBe(0n);
    const outputs = new Set(Array.from({ length: 1000 }, (_, index) => mix64(BigInt(index))));
    expect(outputs.size).toBe(1000);
    for (const value of outputs) expect(value < 2n ** 64n && value >= 0n).toBe(true);
  });
});

describe('rendezvous hashing', () => {
  it('maps each name to exactly one cluster, the same one every time and in any listing order', () => {
    const reversed = [...FOUR].reverse();
    for (const name of NAMES.slice(0, 2000)) {
      const index = rendezvousIndex(name, FOUR);
      expect(index).toBeGreaterThanOrEqual(0);
      expect(index).toBeLessThan(4);
      expect(rendezvousIndex(name, FOUR)).toBe(index);
      expect(reversed[rendezvousIndex(name, reversed)]).toBe(FOUR[index]);
    }
  });

  it('spreads names evenly', () => {
    const counts = [0, 0, 0, 0];
    for (const name of NAMES) counts[rendezvousIndex(name, FOUR)]! += 1;
    // 2,500 expected per cluster; 4 standard deviations of a binomial is about 175.
    for (const count of counts) expect(Math.abs(count - 2500)).toBeLessThan(250);
  });

  it('adding a 4th cluster moves about 1/4 of 10k names, and only to the new cluster', () => {
    let moved = 0;
    for (const name of NAMES) {
      const before = THREE[rendezvousIndex(name, THREE)];
      const after = FOUR[rendezvousIndex(name, FOUR)];
      if (before !== after) {
        moved += 1;
        expect(after).toBe(FOUR[3]);
      }
    }
    expect(moved / NAMES.length).toBeGreaterThan(0.22);
    expect(moved / NAMES.length).toBeLessThan(0.28);
  });

  it('removing a cluster moves only the names it held', () => {
    const without = FOUR.filter((_, index) => index !== 1);
    for (const name of NAMES.slice(0, 3000)) {
      const before = FOUR[rendezvousIndex(name, FOUR)];
      const after = without[rendezvousIndex(name, without)];
      if (before !== FOUR[1]) expect(after).toBe(before);
    }
  });

  it('is stable across versions: pinned assignments', () => {
    // If these change, every deployed process would disagree with the new ones about where a lock lives.
    const pinned = ['orders:1', 'orders:2', 'user:alice', 'é'].map((name) => rendezvousIndex(name, FOUR));
    expect(pinned).toMatchInlineSnapshot(`
      [
        0,
        2,
        3,
        1,
      ]
    `);
  });

  it('needs at least one cluster', () => {
    expect(() => rendezvousIndex('x', [])).toThrow(RangeError);
    expect(rendezvousIndex('x', ['only'])).toBe(0);
  });
});
