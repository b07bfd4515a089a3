import { InvalidArgumentError } from '@lock/core';
import { parseInfo, type RedisServer, startRedis } from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProvider, RedisProvider, RedlockProvider } from '../src/index.js';

let server: RedisServer;
let provider: RedisProvider;
beforeAll(async () => {
  server = await startRedis();
  provider = new RedisProvider({ connection: server.url, ttlMs: 3000 });
  // Connected, scripts loaded: what the counts below see is only what the calls under test send.
  await (await provider.lock('warm-up').acquire()).release();
});
afterAll(async () => {
  await provider?.close();
  await server?.close();
});

/** Commands the server has run so far, not counting the INFO that asks. */
async function commandsRun(): Promise<number> {
  const stats = parseInfo(String(await server.command('INFO', 'commandstats')));
  let calls = 0;
  for (const [field, value] of Object.entries(stats)) {
    if (!field.startsWith('cmdstat_') || field === 'cmdstat_info') continue;
    calls += Number(/calls=(\d+)/.exec(value)?.[1] ?? 0);
  }
  return calls;
}

async function rejection(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('lease lengths: one rule, declared in the capabilities, checked by core before any I/O', () => {
  it('declares whole ms from 100 ms, set per lock', () => {
    expect(provider.capabilities.ttl).toEqual({ setBy: 'lock', minMs: 100, stepMs: 1 });
    expect(provider.lock('x').capabilities.ttl).toEqual(provider.capabilities.ttl);
  });

  it('a too-short ttlMs is an InvalidArgumentError naming it, and no command reaches the server', async () => {
    const lock = provider.lock('short');
    const lease = await lock.acquire();
    const before = await commandsRun();
    const outcomes: Array<[string, unknown]> = [
      ['options.ttlMs', await rejection(() => provider.lock('short', { ttlMs: 1 }))],
      ['options.ttlMs', await rejection(() => lock.acquire({ ttlMs: 1 }))],
      ['options.ttlMs', await rejection(() => lock.acquire({ ttlMs: 99, timeoutMs: 1000 }))],
      ['options.ttlMs', await rejection(() => lock.tryAcquire({ ttlMs: 1 }))],
      ['options.ttlMs', await rejection(() => lock.withLock(() => undefined, { ttlMs: 1 }))],
      ['ttlMs', await rejection(() => lease.extend(1))],
    ];
    const after = await commandsRun();
    for (const [parameter, error] of outcomes) {
      expect(InvalidArgumentError.isInstance(error), String(error)).toBe(true);
      expect((error as InvalidArgumentError).parameter).toBe(parameter);
      expect((error as InvalidArgumentError).message).toMatch(/from 100/);
    }
    expect(after - before).toBe(0);
    await lease.release();
    // The floor itself is granted.
    const shortest = await lock.acquire({ ttlMs: 100 });
    expect(shortest.ttlMs).toBe(100);
    await shortest.release();
  });

  it('refuses a provider default below the floor, for Redis, Redlock and createProvider', () => {
    const url = 'redis://127.0.0.1:1';
    for (const build of [
      () => new RedisProvider({ connection: url, ttlMs: 99 }),
      () => new RedlockProvider({ endpoints: ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], ttlMs: 1 }),
      () => createProvider({ url, ttlMs: 1 }),
    ]) {
      const error = (() => {
        try {
          build();
        } catch (thrown) {
          return thrown;
        }
        return undefined;
      })();
      expect(InvalidArgumentError.isInstance(error), String(error)).toBe(true);
      expect((error as InvalidArgumentError).parameter).toMatch(/^(options|config)\.ttlMs$/);
    }
  });
});
