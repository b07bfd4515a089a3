import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileProvider } from '../src/index.js';
import { LockChild } from './lock-child.js';
import { lockDirectory, makeProvider } from './support.js';

const directory = lockDirectory('kill-holder');
let provider: FileProvider;
beforeAll(() => {
  provider = makeProvider(directory.path);
});
afterAll(async () => {
  await provider.close();
  directory.cleanup();
});

describe('a holder killed with -9', () => {
  for (const holderWaitedBefore of [false, true]) {
    it(
      holderWaitedBefore
        ? 'frees the lock for a waiting process also when the holder had waited before (its waiter process goes with it)'
        : 'frees the lock for a waiting process at once (the kernel closes its descriptor)',
      async () => {
        const name = `killed-${holderWaitedBefore}`;
        const holder = await LockChild.start(directory.path);
        if (holderWaitedBefore) {
          // The holder waits for us once, so it has a kernel waiter process when it holds.
          const ours = await provider.lock(name).acquire();
          holder.startAcquire(name);
          while ((await provider.status(name)).waiterCount < 1) await new Promise((r) => setTimeout(r, 5));
          await ours.release();
        }
        const held = await (holderWaitedBefore ? holder.next('acquired', name) : holder.acquire(name));
        const waiting = provider.lock(name).acquire();
        while ((await provider.status(name)).details?.waitingProcesses !== 1)
          await new Promise((r) => setTimeout(r, 5));
        const killedAt = performance.now();
        holder.process.kill('SIGKILL');
        const lease = await waiting;
        const grantedAfterMs = performance.now() - killedAt;
        expect(lease.token).toBeGreaterThan(BigInt(held.token!));
        expect((await provider.status(name)).details?.heldHere).toBe(true);
        await lease.release();
        await holder.exited;
        console.log(
          `kill -9 -> next grant (holder waited before: ${holderWaitedBefore}): ${grantedAfterMs.toFixed(2)} ms`,
        );
      },
    );
  }
});
