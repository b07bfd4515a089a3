import type { LockProvider } from '@lock/core';
import { type RedisServer, startRedis } from '@lock/testkit';
import { describeConformance } from '@lock/testkit/conformance';
import { afterAll, beforeAll } from 'vitest';
import { RedisLockProvider } from '../src/index.js';
import { lockKeys } from '../src/lock-keys.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.close();
});

describeConformance({
  name: 'redis (single node)',
  createProvider: () => new RedisLockProvider({ connection: server.url, ttlMs: 3000 }),
  loseGrant: async (lease, provider) => {
    await server.command('DEL', lockKeys((provider as RedisLockProvider).prefix, lease.name).lock);
  },
  leftovers: async (name, provider) => (await (provider as RedisLockProvider).leftoverKeys(name)).length,
  enqueueDelayMs: 50,
});

describeConformance({
  name: 'redis (single node, early expiry)',
  createProvider: (): LockProvider =>
    new RedisLockProvider({ connection: server.url, ttlMs: 3000, prefix: 'pexpire:' }),
  loseGrant: async (lease, provider) => {
    await server.command('PEXPIRE', lockKeys((provider as RedisLockProvider).prefix, lease.name).lock, 1);
  },
  leftovers: async (name, provider) => (await (provider as RedisLockProvider).leftoverKeys(name)).length,
});
