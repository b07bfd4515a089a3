import { sleep } from '@lock/core';
import { type RedisServer, startRedis } from '@lock/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisProvider } from '../src/index.js';

let server: RedisServer;
let provider: RedisProvider;
let raw: Redis;
beforeAll(async () => {
  server = await startRedis();
  provider = new RedisProvider({ connection: server.url, ttlMs: 5000 });
  raw = new Redis(server.url);
});
afterAll(async () => {
  raw?.disconnect();
  await provider?.close();
  await server?.close();
});

let names = 0;
function uniqueName(label: string): string {
  names += 1;
  return `ages-${label}-${names}`;
}

async function untilWaiting(name: string, count: number): Promise<void> {
  for (let tries = 0; tries < 500; tries++) {
    if ((await provider.status(name)).waiterCount >= count) return;
    await sleep(10);
  }
  throw new Error(`${count} waiters never queued on ${name}`);
}

/** The grant-time fields left in a read-write lock's state hash. */
async function grantTimeFields(name: string): Promise<string[]> {
  const state = (await provider.status(name)).details?.readWriteKeys as { state: string };
  return (await raw.hkeys(state.state)).filter((field) => field.startsWith('at:'));
}

describe('status ages (server clock, stored with the grant)', () => {
  it("a reader's age grows between two reads by the time slept", async () => {
    const name = uniqueName('grows');
    const lease = await provider.readWriteLock(name).read.acquire();
    try {
      const [before] = (await provider.status(name)).holders;
      await sleep(300);
      const [after] = (await provider.status(name)).holders;
      expect(after!.token).toBe(lease.token);
      expect(before!.ageMs).toBeGreaterThanOrEqual(0);
      // Both reads subtract the same stored grant time from the server's clock (2 ms of slack for rounding).
      expect(after!.ageMs! - before!.ageMs!).toBeGreaterThanOrEqual(298);
    } finally {
      await lease.release();
    }
  });

  it('a grant handed over counts from the handoff, not from when the waiter queued', async () => {
    const name = uniqueName('handoff');
    const rw = provider.readWriteLock(name);
    const writer = await rw.write.acquire();
    const reading = rw.read.acquire();
    await untilWaiting(name, 1);
    await sleep(400);
    await writer.release();
    const reader = await reading;
    try {
      const [holder] = (await provider.status(name)).holders;
      expect(holder!.token).toBe(reader.token);
      expect(holder!.ageMs).toBeGreaterThanOrEqual(0);
      expect(holder!.ageMs).toBeLessThan(400);
    } finally {
      await reader.release();
    }
  });

  it("a released holder's grant time goes with its token; the other reader keeps its own", async () => {
    const name = uniqueName('cleanup');
    const rw = provider.readWriteLock(name);
    const first = await rw.read.acquire();
    const second = await rw.read.acquire();
    const ids = (await provider.status(name)).holders.map((holder) => holder.id);
    expect(await grantTimeFields(name)).toEqual(expect.arrayContaining(ids.map((id) => `at:${id}`)));
    await first.release();
    const [left] = (await provider.status(name)).holders;
    expect(left!.token).toBe(second.token);
    expect(await grantTimeFields(name)).toEqual([`at:${left!.id}`]);
    await second.release();
    expect(await grantTimeFields(name)).toEqual([]);
  });

  it("a semaphore's permit holders have ages; the exclusive lock's holder has none (no time is stored)", async () => {
    const name = uniqueName('kinds');
    const permit = await provider.semaphore(name, 2).acquire();
    const exclusive = await provider.lock(uniqueName('exclusive')).acquire();
    try {
      const [holder] = (await provider.status(name)).holders;
      expect(holder!.token).toBe(permit.token);
      expect(holder!.ageMs).toBeGreaterThanOrEqual(0);
      const [plain] = (await provider.status(exclusive.name)).holders;
      expect(plain!.token).toBe(exclusive.token);
      expect(plain!.ageMs).toBeUndefined();
    } finally {
      await permit.release();
      await exclusive.release();
    }
  });
});
