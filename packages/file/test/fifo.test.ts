import { grantOrder } from '@lock/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureLockDirectory, LockFile, tryLockFd, unlockFd } from '../src/internal.js';
import { lockDirectory, makeProvider } from './support.js';

const directory = lockDirectory('fifo');
afterAll(() => directory.cleanup());

describe('order and modes', () => {
  it('waiters of one process are granted in arrival order (fifo within a process)', async () => {
    const provider = makeProvider(directory.path);
    const queueDepth = async (name: string) => (await provider.status(name)).details!.waitingHere;
    expect(await grantOrder(provider, 'in-process', 6, 0, queueDepth)).toEqual([0, 1, 2, 3, 4, 5]);
    await provider.close();
  });

  it('the kernel layer has shared locks too (for the read-write lock): shared with shared, not with exclusive', () => {
    const provider = makeProvider(directory.path);
    const path = provider.pathOf('shared-mode');
    ensureLockDirectory(directory.path);
    // Three open files of one lock file: three open file descriptions, as three processes would have.
    const [a, b, c] = [LockFile.open(path), LockFile.open(path), LockFile.open(path)];
    expect(tryLockFd(a!.fd, path, false)).toBe(true);
    expect(tryLockFd(b!.fd, path, false)).toBe(true);
    expect(tryLockFd(c!.fd, path, true)).toBe(false);
    unlockFd(a!.fd, path);
    unlockFd(b!.fd, path);
    expect(tryLockFd(c!.fd, path, true)).toBe(true);
    expect(tryLockFd(a!.fd, path, false)).toBe(false);
    for (const file of [a, b, c]) file!.close();
  });
});
