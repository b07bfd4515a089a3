import { LockBackendError } from '@lock/core';
import { freePort, type RedisServer, startRedis } from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisProvider } from '../src/index.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

describe('RedisProvider.describe()', () => {
  it('names the server and warns about what weakens its locks', async () => {
    const provider = new RedisProvider({ connection: server.url, waitReplicas: 1, waitTimeoutMs: 100 });
    try {
      const description = await provider.describe();
      expect(description.server).toMatch(/^Redis \d+\.\d+\.\d+ \(master, 0 connected replicas\)$/);
      expect(description.warnings).toEqual([
        expect.stringMatching(/append-only file is off: a restart of this server loses every lock/),
        expect.stringMatching(/waitReplicas is 1 but 0 replica\(s\) are connected/),
      ]);
      expect(description.details).toMatchObject({ role: 'master', connectedReplicas: 0, aofEnabled: false });
    } finally {
      await provider.close();
    }
  });

  it('rejects with LockBackendError when nothing answers', async () => {
    const provider = new RedisProvider({
      connection: `redis://127.0.0.1:${await freePort()}`,
      commandTimeoutMs: 300,
    });
    try {
      await expect(provider.describe()).rejects.toSatisfy(LockBackendError.isInstance);
    } finally {
      await provider.close();
    }
  });
});
