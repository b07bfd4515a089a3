import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LockTimeoutError } from '@lock/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileProvider } from '../src/index.js';
import { kernelLocksOf, killedWaitersExited, LockFile } from '../src/internal.js';
import { LockChild } from './lock-child.js';
import { lockDirectory, makeProvider } from './support.js';

const directory = lockDirectory('kernel-wait');
let provider: FileProvider;
let holder: LockChild;

beforeAll(async () => {
  provider = makeProvider(directory.path);
  holder = await LockChild.start(directory.path);
});
afterAll(async () => {
  await provider.close();
  await holder.kill();
  directory.cleanup();
});

/** Requests blocked in the kernel on `name`'s file (from /proc/locks), once killed waiters have exited. */
async function blockedInKernel(name: string): Promise<number> {
  await killedWaitersExited();
  const file = LockFile.open(provider.pathOf(name));
  try {
    return kernelLocksOf(file.dev, file.ino)!.blocked;
  } finally {
    file.close();
  }
}

async function untilBlocked(name: string, count: number): Promise<void> {
  while ((await blockedInKernel(name)) < count) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('waiting for a lock another process holds', () => {
  it('queues this process in memory: one kernel waiter for many acquisitions, served in arrival order', async () => {
    const name = 'one-kernel-waiter';
    await holder.acquire(name);
    const order: number[] = [];
    const acquisitions = Array.from({ length: 5 }, (_, index) =>
      provider
        .lock(name)
        .acquire()
        .then(async (lease) => {
          order.push(index);
          await lease.release();
          return lease.token;
        }),
    );
    await untilBlocked(name, 1);
    expect(await blockedInKernel(name)).toBe(1);
    expect((await provider.status(name)).details?.waitingHere).toBe(5);
    await holder.release(name);
    const tokens = await Promise.all(acquisitions);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(tokens.every((token, index) => index === 0 || token > tokens[index - 1]!)).toBe(true);
    expect(await blockedInKernel(name)).toBe(0);
  });

  it('a timeout ends the kernel wait too: nothing stays queued in the kernel', async () => {
    const name = 'timeout-leaves-nothing';
    await holder.acquire(name);
    const attempt = await provider
      .lock(name)
      .acquire({ timeoutMs: 200 })
      .catch((error: unknown) => error);
    expect(LockTimeoutError.isInstance(attempt)).toBe(true);
    expect(await blockedInKernel(name)).toBe(0);
    expect((await provider.status(name)).waiterCount).toBe(0);
    await holder.release(name);
    // Free at once for the next one, in this process and in the other.
    const next = await provider.lock(name).tryAcquire();
    expect(next).not.toBeNull();
    await next!.release();
  });

  it('an abort ends the kernel wait too', async () => {
    const name = 'abort-leaves-nothing';
    await holder.acquire(name);
    const controller = new AbortController();
    const waiting = provider
      .lock(name)
      .acquire({ signal: controller.signal })
      .catch((error: unknown) => error);
    await untilBlocked(name, 1);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    expect(await waiting).toBe(reason);
    expect(await blockedInKernel(name)).toBe(0);
    await holder.release(name);
  });

  for (const mode of ['process', 'blocking-thread'] as const) {
    it(
      mode === 'process'
        ? 'a process whose wait timed out exits at once, while the holder still holds'
        : "mutant 'blocking-thread' (waitForLock: a thread blocked in the kernel): the process cannot exit until the lock frees",
      async () => {
        const name = `exit-after-timeout-${mode}`;
        await holder.acquire(name);
        const script = fileURLToPath(new URL('./fixtures/timed-waiter.mjs', import.meta.url));
        const waiter = spawn(process.execPath, [script, directory.path, name, '200', mode], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let output = '';
        waiter.stdout.on('data', (chunk) => {
          output += chunk;
        });
        const events: string[] = [];
        const exited = new Promise<void>((resolve) =>
          waiter.once('exit', () => {
            events.push('waiter exited');
            resolve();
          }),
        );
        // The order of the two events is the verdict; the bound only keeps a broken waiter from hanging the test.
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2_000))]);
        events.push('holder releases');
        await holder.release(name);
        await exited;
        expect(output.trim()).toBe('LockTimeoutError');
        expect(events).toEqual(
          mode === 'process' ? ['waiter exited', 'holder releases'] : ['holder releases', 'waiter exited'],
        );
      },
    );
  }
});
