import { execFileSync, fork } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FileProvider } from '../src/index.js';
import { kernelLocksOf, LockFile } from '../src/internal.js';
import { LockChild } from './lock-child.js';
import { lockDirectory, sleep } from './support.js';

const NAMES = 100;
/** libuv's default thread pool size: what the control run fills. */
const THREAD_POOL_SIZE = 4;
const directory = lockDirectory('many-names');
afterAll(() => directory.cleanup());

/** Requests blocked in the kernel on these lock files. */
function blocked(paths: string[]): number {
  let total = 0;
  for (const path of paths) {
    const file = LockFile.open(path);
    total += kernelLocksOf(file.dev, file.ino)!.blocked;
    file.close();
  }
  return total;
}

describe('a process waiting on 100 names', () => {
  for (const run of ['waits', 'control'] as const) {
    it(run === 'waits'
      ? 'still serves its own file reads while every name waits in the kernel (no thread pool is occupied)'
      : "control: with libuv's thread pool filled (as by a lock waiting there), the same reads wait", {
      timeout: 120_000,
    }, async () => {
      const paths = Array.from({ length: NAMES }, (_, index) =>
        new FileProvider({ directory: directory.path }).pathOf(`name-${index}`),
      );
      const fifos =
        run === 'control'
          ? Array.from({ length: THREAD_POOL_SIZE }, (_, index) => join(directory.path, `fifo-${index}`))
          : [];
      const holder = await LockChild.start(directory.path);
      const script = fileURLToPath(new URL('./fixtures/many-waiter.mjs', import.meta.url));
      try {
        for (let index = 0; index < NAMES; index++) await holder.acquire(`name-${index}`);
        for (const fifo of fifos) execFileSync('mkfifo', [fifo]);
        const waiter = fork(script, [directory.path, String(NAMES), ...fifos]);
        const events: string[] = [];
        const next = (op: string) =>
          new Promise<void>((resolve) =>
            waiter.on('message', (message: { op: string }) => {
              if (message.op !== op) return;
              events.push(op);
              resolve();
            }),
          );
        const readDone = next('read-done');
        const granted = next('granted');
        // One kernel waiter per name, every one of them blocked in the kernel before the reads start.
        while (blocked(paths) < NAMES) await sleep(20);
        expect(blocked(paths)).toBe(NAMES);
        waiter.send({ op: 'read' });
        // The order of the events is the verdict; the bound only lets the control run reach the release.
        await Promise.race([readDone, sleep(run === 'waits' ? 60_000 : 2_000)]);
        events.push('released');
        // Writers for the FIFOs end the blocked opens (the control's stand-in for locks freeing).
        for (const fifo of fifos) closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
        for (let index = 0; index < NAMES; index++) await holder.release(`name-${index}`);
        await Promise.all([readDone, granted]);
        if (run === 'waits') expect(events).toEqual(['read-done', 'released', 'granted']);
        else expect(events[0]).toBe('released');
      } finally {
        await holder.kill();
      }
    });
  }
});
