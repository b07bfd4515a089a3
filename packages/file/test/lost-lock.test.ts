import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LockLostError } from '@lock/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileProvider } from '../src/index.js';
import { LockChild } from './lock-child.js';
import { lockDirectory, makeProvider } from './support.js';

const directory = lockDirectory('lost');
let provider: FileProvider;
beforeAll(() => {
  provider = makeProvider(directory.path);
});
afterAll(async () => {
  await provider.close();
  directory.cleanup();
});

/** Resolves with the signal's reason once it aborts (the directory watch, not a look at the lease). */
function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(signal.reason), { once: true }),
  );
}

describe('a lock file deleted or replaced under its holder', () => {
  it('deleted: lease.signal aborts with LockLostError, another process can take the lock, the stale release is harmless', async () => {
    const name = 'deleted';
    const lease = await provider.lock(name).acquire();
    const lost = aborted(lease.signal);
    rmSync(provider.pathOf(name));
    const reason = await lost;
    expect(LockLostError.isInstance(reason)).toBe(true);
    expect((reason as LockLostError).reason).toBe('expired');
    expect(String((reason as LockLostError).cause)).toContain(provider.pathOf(name));
    expect(lease.held).toBe(false);
    // The name is free for everyone: another process, and this one.
    const other = await LockChild.start(directory.path);
    expect((await other.acquire(name, 0)).op).toBe('acquired');
    expect(await provider.lock(name).tryAcquire()).toBeNull();
    expect(await lease.release()).toBe(false);
    expect((await other.release(name)).released).toBe(true);
    await other.kill();
    const again = await provider.lock(name).tryAcquire();
    expect(again).not.toBeNull();
    expect(again!.token).toBeGreaterThan(lease.token);
    await again!.release();
  });

  it('replaced by a rename over it: lease.signal aborts', async () => {
    const name = 'replaced';
    const lease = await provider.lock(name).acquire();
    const lost = aborted(lease.signal);
    const replacement = join(directory.path, 'replacement.tmp');
    writeFileSync(replacement, '');
    renameSync(replacement, provider.pathOf(name));
    expect(LockLostError.isInstance(await lost)).toBe(true);
    expect(await lease.release()).toBe(false);
  });

  it('noticed at the first look at the lease, before the watch reports it', async () => {
    const name = 'looked-at';
    const lease = await provider.lock(name).acquire();
    rmSync(provider.pathOf(name));
    // Synchronously after the deletion: no event can have been delivered yet.
    expect(lease.held).toBe(false);
    expect(LockLostError.isInstance(lease.signal.reason)).toBe(true);
    await lease.release();
  });

  it('a waiter of this process is served once its holder lost the lock', async () => {
    const name = 'waiter-after-loss';
    const lease = await provider.lock(name).acquire();
    const waiting = provider.lock(name).acquire();
    const lost = aborted(lease.signal);
    rmSync(provider.pathOf(name));
    await lost;
    const next = await waiting;
    expect(next.held).toBe(true);
    expect(next.token).toBeGreaterThan(lease.token);
    await next.release();
    await lease.release();
  });

  it('the lock directory removed: every holder in it is lost; the next acquisition makes the directory again', async () => {
    const inner = join(directory.path, 'removed');
    const removable = makeProvider(inner);
    const leases = await Promise.all(['a', 'b'].map((name) => removable.lock(name).acquire()));
    const lost = Promise.all(leases.map((lease) => aborted(lease.signal)));
    rmSync(inner, { recursive: true });
    for (const reason of await lost) expect(LockLostError.isInstance(reason)).toBe(true);
    const again = await removable.lock('a').acquire();
    expect(again.token).toBeGreaterThan(leases[0]!.token);
    await again.release();
    for (const lease of leases) expect(await lease.release()).toBe(false);
    await removable.close();
  });

  it('the lock directory unmounted (umount -l) under a holder: lost at the first look at the lease', async (context) => {
    const mountPoint = join(directory.path, 'mounted');
    mkdirSync(mountPoint);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mountPoint], {
        stdio: 'ignore',
      });
    } catch {
      return context.skip('mounting a tmpfs needs root and a kernel that allows it here');
    }
    const mounted = makeProvider(join(mountPoint, 'locks'));
    try {
      const lease = await mounted.lock('on-tmpfs').acquire();
      // A busy file system can only be detached lazily, and that sends no inotify event: the path now leads
      // to the directory underneath, so the lease's next look finds its file gone.
      execFileSync('umount', ['-l', mountPoint]);
      expect(lease.held).toBe(false);
      expect(LockLostError.isInstance(lease.signal.reason)).toBe(true);
      expect(await lease.release()).toBe(false);
    } finally {
      await mounted.close();
    }
  });
});
