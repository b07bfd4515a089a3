import { execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileProvider } from '../src/index.js';
import { LockChild } from './lock-child.js';
import { lockDirectory, makeProvider, sleep } from './support.js';

const directory = lockDirectory('inherit');
let provider: FileProvider;
beforeAll(() => {
  provider = makeProvider(directory.path);
});
afterAll(async () => {
  await provider.close();
  directory.cleanup();
});

/** Waits until `name` is free, by tries (the kernel frees it as the last descriptor closes). */
async function untilFree(name: string): Promise<void> {
  for (;;) {
    const lease = await provider.lock(name).tryAcquire();
    if (lease !== null) return void (await lease.release());
    await sleep(5);
  }
}

describe('a lease handed to a child process (as `lock run` does)', () => {
  it('the child keeps the lock after its parent is killed with -9; it is free once both are gone', async () => {
    const name = 'run';
    const parent = await LockChild.start(directory.path);
    await parent.acquire(name);
    const command = await parent.spawnInheritor(name);
    await parent.kill();
    expect(await provider.lock(name).tryAcquire()).toBeNull();
    process.kill(command, 'SIGKILL');
    await untilFree(name);
  });

  it('inheritableFd is the lease file, valid while held and refused after release', async () => {
    const lease = await provider.lock('fd').acquire();
    const fd = lease.inheritableFd;
    expect(typeof fd).toBe('number');
    // A child given the descriptor shares the grant: another process cannot take the lock while both live.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], {
      stdio: ['ignore', 'ignore', 'ignore', fd],
    });
    const other = await LockChild.start(directory.path);
    expect((await other.acquire('fd', 0)).op).toBe('failed');
    child.kill('SIGKILL');
    await lease.release();
    expect(() => lease.inheritableFd).toThrow(/no longer held/);
    expect((await other.acquire('fd', 0)).op).toBe('acquired');
    await other.kill();
  });

  it.runIf(process.platform === 'linux')(
    "caveat: flock(1) on the same file does not exclude it (Linux's flock(2) and OFD locks are separate)",
    async () => {
      const lease = await provider.lock('flock').acquire();
      // flock -n fails with 1 when the file is locked by flock(2); it succeeds here although we hold the lock.
      execFileSync('flock', ['-n', lease.path, 'true']);
      await lease.release();
    },
  );
});
