import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { MAX_LOCK_NAME_LENGTH } from '@lock/core';
import { afterAll, describe, expect, it } from 'vitest';
import { lockFileName } from '../src/index.js';
import { LockChild } from './lock-child.js';
import { lockDirectory, makeProvider } from './support.js';

const directory = lockDirectory('names');
afterAll(() => directory.cleanup());

const NAMES = [
  'orders/42',
  'orders_42',
  'orders-42',
  '/',
  '..',
  '.',
  '../../etc/passwd',
  '-rf',
  'a'.repeat(MAX_LOCK_NAME_LENGTH),
  `${'a'.repeat(MAX_LOCK_NAME_LENGTH - 1)}b`,
  'café',
  'cafe\u0301',
  'Café',
  '日本語のロック',
  '🔒',
  'Orders/42',
  ' spaced name ',
];

describe('lock names -> file names', () => {
  it('are readable: a sanitized prefix, then a hash', () => {
    expect(lockFileName('orders/42')).toMatch(/^orders_42-[0-9a-f]{20}\.lock$/);
    expect(lockFileName('café au lait')).toMatch(/^cafe_au_lait-[0-9a-f]{20}\.lock$/);
    expect(lockFileName('..')).toMatch(/^[0-9a-f]{20}\.lock$/);
    expect(lockFileName('日本語')).toMatch(/^[0-9a-f]{20}\.lock$/);
    expect(lockFileName('-rf')).toMatch(/^rf-[0-9a-f]{20}\.lock$/);
    // Stable (the first 20 hex digits of sha256sum of the name): other processes and versions find the same file.
    expect(lockFileName('nightly')).toBe('nightly-2a3b62b53ddb9f167b63.lock');
  });

  it('are always one short file name inside the directory, never a path', () => {
    for (const name of NAMES) {
      const fileName = lockFileName(name);
      expect(basename(fileName)).toBe(fileName);
      expect(fileName.startsWith('.')).toBe(false);
      expect(Buffer.byteLength(fileName)).toBeLessThanOrEqual(90);
    }
  });

  it('distinct names -> distinct files, each a lock of its own', async () => {
    const provider = makeProvider(directory.path);
    const fileNames = new Set(NAMES.map(lockFileName));
    expect(fileNames.size).toBe(NAMES.length);
    // Every name can be held at once (no two share a file)...
    const leases = await Promise.all(NAMES.map((name) => provider.lock(name).acquire({ timeoutMs: 0 })));
    expect(readdirSync(directory.path).sort()).toEqual([...fileNames].sort());
    // ...and each excludes another process.
    const child = await LockChild.start(directory.path);
    for (const name of NAMES) expect((await child.acquire(name, 0)).op).toBe('failed');
    for (const lease of leases) await lease.release();
    for (const name of NAMES) expect((await child.acquire(name, 0)).op).toBe('acquired');
    await child.kill();
    await provider.close();
  });
});
