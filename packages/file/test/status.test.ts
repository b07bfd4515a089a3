import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileProvider } from '../src/index.js';
import { LockChild } from './lock-child.js';
import { lockDirectory, makeProvider, sleep } from './support.js';

const directory = lockDirectory('status');
let provider: FileProvider;
let child: LockChild;
beforeAll(async () => {
  provider = makeProvider(directory.path);
  child = await LockChild.start(directory.path);
});
afterAll(async () => {
  await provider.close();
  await child.kill();
  directory.cleanup();
});

describe('status(name)', () => {
  it('a name never used: free, no token', async () => {
    const status = await provider.status('never');
    expect(status).toMatchObject({
      name: 'never',
      holders: [],
      waiters: [],
      waiterCount: 0,
      lastToken: null,
    });
    expect(status.details?.path).toBe(provider.pathOf('never'));
  });

  it("held by another process: its pid (from the file) and token; this process's waiters and the other processes'", async () => {
    const name = 'held-elsewhere';
    const token = BigInt((await child.acquire(name)).token!);
    let status = await provider.status(name);
    expect(status.holders).toEqual([
      { id: `pid ${child.pid}`, token, mode: 'exclusive', pid: child.pid, ageMs: expect.any(Number) },
    ]);
    expect(status.details).toMatchObject({
      heldHere: false,
      waitingHere: 0,
      waitingProcesses: 0,
      holderRunning: true,
    });
    const waiting = [provider.lock(name).acquire(), provider.lock(name).acquire()];
    while ((await provider.status(name)).details?.waitingProcesses !== 1) await sleep(5);
    status = await provider.status(name);
    // Two here in line (one of them in the kernel for both), the kernel's one for this process not counted twice.
    expect(status.waiters.map((waiter) => waiter.pid)).toEqual([process.pid, process.pid]);
    expect(status.waiterCount).toBe(2);
    const other = await LockChild.start(directory.path);
    other.startAcquire(name);
    while ((await provider.status(name)).details?.waitingProcesses !== 2) await sleep(5);
    expect((await provider.status(name)).waiterCount).toBe(3);
    // The other waiter dies in line. Its kernel waiter process stays blocked; should the kernel pick it when
    // the lock frees, it finds its parent gone and exits at once, freeing the lock for us.
    await other.kill();
    await child.release(name);
    const first = await waiting[0]!;
    status = await provider.status(name);
    expect(status.holders).toEqual([
      {
        id: `pid ${process.pid}`,
        token: first.token,
        mode: 'exclusive',
        pid: process.pid,
        ageMs: expect.any(Number),
      },
    ]);
    expect(status.details).toMatchObject({ heldHere: true, waitingHere: 1 });
    await first.release();
    const second = await waiting[1]!;
    await second.release();
    // The dead process's kernel waiter is granted the free lock now, finds its parent gone and exits.
    while ((status = await provider.status(name)).holders.length > 0 || status.waiterCount > 0)
      await sleep(5);
    // It never minted a token: the last one is ours.
    expect(status.lastToken).toBe(second.token);
  });

  it("a holder's age grows while it holds, and starts again at the next grant (from the grant, not the file's birth)", async () => {
    const name = 'ages';
    const token = BigInt((await child.acquire(name)).token!);
    const first = (await provider.status(name)).holders[0]!;
    expect(first.token).toBe(token);
    expect(first.ageMs).toBeGreaterThanOrEqual(0);
    await sleep(300);
    const later = (await provider.status(name)).holders[0]!;
    // The same grant read twice: its age grew by the time slept (Date.now() both times; 20 ms of slack).
    expect(later.ageMs! - first.ageMs!).toBeGreaterThanOrEqual(280);
    await child.release(name);
    await sleep(300);
    const lease = await provider.lock(name).acquire();
    try {
      const [holder] = (await provider.status(name)).holders;
      expect(holder!.token).toBe(lease.token);
      // A fresh grant: younger than the 300 ms the file sat free since the previous one.
      expect(holder!.ageMs).toBeGreaterThanOrEqual(0);
      expect(holder!.ageMs).toBeLessThan(300);
    } finally {
      await lease.release();
    }
    // Free: nobody to give an age to.
    expect((await provider.status(name)).holders).toEqual([]);
  });

  it('readers: only the latest grant (the token in the file) has a recorded age', async () => {
    const name = 'reader-ages';
    const rw = provider.readWriteLock(name);
    const older = await rw.read.acquire();
    await sleep(50);
    const newer = await rw.read.acquire();
    try {
      const holders = (await provider.status(name)).holders;
      expect(holders.map((holder) => holder.token)).toEqual([older.token, newer.token]);
      expect(holders[0]!.ageMs).toBeUndefined();
      expect(holders[1]!.ageMs).toBeGreaterThanOrEqual(0);
    } finally {
      await older.release();
      await newer.release();
    }
  });

  it('a lock inherited by a child whose parent died: still held, its holder no longer running', async () => {
    const name = 'inherited';
    const parent = await LockChild.start(directory.path);
    await parent.acquire(name);
    const inheritor = await parent.spawnInheritor(name);
    await parent.kill();
    try {
      const status = await provider.status(name);
      expect(status.holders).toHaveLength(1);
      expect(status.holders[0]!.pid).toBe(parent.pid);
      expect(status.details?.holderRunning).toBe(false);
      expect(await provider.lock(name).tryAcquire()).toBeNull();
    } finally {
      process.kill(inheritor, 'SIGKILL');
    }
    // Free the moment both are gone.
    let lease = await provider.lock(name).tryAcquire();
    while (lease === null) {
      await sleep(5);
      lease = await provider.lock(name).tryAcquire();
    }
    await lease.release();
  });
});

describe('describe()', () => {
  it('names the mechanism and the directory', async () => {
    const description = await provider.describe();
    expect(description.server).toBe(
      `kernel file locks (${description.details.mechanism}) in ${directory.path}`,
    );
    expect(description.details.directory).toBe(directory.path);
    if (process.platform === 'linux') {
      expect(description.details.mechanism).toContain('F_OFD_SETLK');
      expect(description.details.fileSystem).not.toBeNull();
      expect(description.warnings).toEqual([]);
    }
  });
});
