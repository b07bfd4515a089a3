import type { LockProvider } from '@lock/core';
import { type RedisInstances, type RedisServer, startRedis, startRedisInstances } from '@lock/testkit';
import { describeConformance } from '@lock/testkit/conformance';
import { afterAll, beforeAll } from 'vitest';
import { RedisProvider, RedlockProvider } from '../src/index.js';
import { lockKeys } from '../src/internal.js';

let server: RedisServer;
let instances: RedisInstances;
beforeAll(async () => {
  server = await startRedis();
  instances = await startRedisInstances(3);
});
afterAll(async () => {
  await server?.close();
  await instances?.close();
});

describeConformance({
  name: 'redis (single node)',
  createProvider: () => new RedisProvider({ connection: server.url, ttlMs: 3000 }),
  loseGrant: async (lease, provider) => {
    await server.command('DEL', lockKeys((provider as RedisProvider).prefix, lease.name).lock);
  },
  leftovers: async (name, provider) => (await (provider as RedisProvider).leftoverKeys(name)).length,
  queueDepth: async (name, provider) => (await (provider as RedisProvider).status(name)).waiterCount,
  renewal: { ttlMs: 1_000, holdMs: 2_500 },
});

describeConformance({
  name: 'redis (single node, early expiry)',
  createProvider: (): LockProvider =>
    new RedisProvider({ connection: server.url, ttlMs: 3000, prefix: 'pexpire:' }),
  loseGrant: async (lease, provider) => {
    await server.command('PEXPIRE', lockKeys((provider as RedisProvider).prefix, lease.name).lock, 1);
  },
  leftovers: async (name, provider) => (await (provider as RedisProvider).leftoverKeys(name)).length,
});

describeConformance({
  name: 'redlock (3 independent instances)',
  createProvider: (): LockProvider =>
    new RedlockProvider({
      endpoints: instances.servers.map((instance) => instance.url),
      ttlMs: 3000,
      instanceTimeoutMs: 500,
    }),
  loseGrant: async (lease) => {
    await Promise.all(
      instances.servers.map((instance) => instance.command('DEL', lockKeys('lock:', lease.name).lock)),
    );
  },
  leftovers: async (name) => {
    let count = 0;
    for (const instance of instances.servers)
      count += Number(await instance.command('EXISTS', lockKeys('lock:', name).lock));
    return count;
  },
});
