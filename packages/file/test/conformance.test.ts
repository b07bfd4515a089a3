import { rmSync } from 'node:fs';
import { describeConformance } from '@lock/testkit/conformance';
import { afterAll } from 'vitest';
import type { FileProvider } from '../src/index.js';
import { killedWaitersExited } from '../src/internal.js';
import { lockDirectory, makeProvider } from './support.js';

const directory = lockDirectory('conformance');
afterAll(() => directory.cleanup());

describeConformance({
  name: 'file (kernel file locks)',
  createProvider: () => makeProvider(directory.path),
  // Delete the lock file under its holder: anyone can now lock the file a new open creates.
  loseGrant: async (lease, provider) => rmSync((provider as FileProvider).pathOf(lease.name)),
  // What is left: waiters in this process's line, and requests still blocked in the kernel (from /proc/locks,
  // once the waiter processes killed by timeouts and aborts have exited).
  leftovers: async (name, provider) => {
    await killedWaitersExited();
    return (await (provider as FileProvider).status(name)).waiterCount;
  },
  queueDepth: async (name, provider) => (await (provider as FileProvider).status(name)).details!.waitingHere,
});
