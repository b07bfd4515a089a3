import { LockLostError, sleep } from '@lock/core';
import { type RedisServer, startRedis } from '@lock/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisProvider } from '../src/index.js';
import { ACQUIRE, FENCE_EPOCH_SCALE, lockKeys, MODE_TRY, RELEASE, runScript, STAY } from '../src/internal.js';

const TWO_TO_53 = 2n ** 53n;
const CLOCK_SLACK_MS = 5000n;

let server: RedisServer;
const providers: RedisProvider[] = [];
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await Promise.all(providers.map((made) => made.close()));
  await server?.close();
});

/** The server's clock (`TIME`), in ms: what a new counter is seeded from. */
async function serverTimeMs(): Promise<bigint> {
  const [seconds, micros] = (await server.command('TIME')) as [string, string];
  return BigInt(seconds) * 1000n + BigInt(micros) / 1000n;
}

function provider(options: { url?: string; ttlMs?: number; fenceRetentionMs?: number } = {}): RedisProvider {
  const made = new RedisProvider({
    connection: options.url ?? server.url,
    ttlMs: options.ttlMs ?? 3000,
    fenceRetentionMs: options.fenceRetentionMs,
  });
  providers.push(made);
  return made;
}

describe('fence counters start from the server clock', () => {
  it('a restart without persistence between two holders: the second token is greater than the first', async () => {
    const own = await startRedis();
    try {
      const before = provider({ url: own.url, ttlMs: 2000 });
      const first = await before.lock('restart').acquire();
      const lost = new Promise((resolve) =>
        first.signal.addEventListener('abort', () => resolve(first.signal.reason), { once: true }),
      );
      await own.restart(); // comes back empty: the lock and its counter are gone
      const after = provider({ url: own.url, ttlMs: 2000 });
      const second = await after.lock('restart').acquire({ timeoutMs: 10_000 });
      expect(second.token).toBeGreaterThan(first.token);
      // The first holder learns it lost the lock (its renewal finds the key gone).
      expect(LockLostError.isInstance(await lost)).toBe(true);
      await second.release();
    } finally {
      await own.close();
    }
  }, 30_000);

  it('a new counter starts at the server time in ms x 1024, below 2^53', async () => {
    const before = await serverTimeMs();
    const lease = await provider().lock('epoch').acquire();
    const after = await serverTimeMs();
    const scale = BigInt(FENCE_EPOCH_SCALE);
    // Slack for this machine's clock, which was seen to step by milliseconds to a second under load.
    expect(lease.token).toBeGreaterThanOrEqual((before - CLOCK_SLACK_MS) * scale);
    expect(lease.token).toBeLessThanOrEqual((after + CLOCK_SLACK_MS) * scale);
    expect(lease.token).toBeLessThan(TWO_TO_53);
    await lease.release();
    const next = await provider().lock('epoch').acquire();
    expect(next.token).toBe(lease.token + 1n); // counting on from there
    await next.release();
  });
});

describe('tokens are exact bigints above 2^53', () => {
  it('with the counter set near 2^60: direct grant, handoff, tryAcquire, a resent acquire and status', async () => {
    const p = provider();
    const name = 'big';
    const keys = lockKeys('lock:', name);
    const base = 2n ** 60n;
    await server.command('SET', keys.fence, base.toString());
    const holder = await p.lock(name).acquire();
    expect(holder.token).toBe(base + 1n);
    expect((await p.status(name)).lastToken).toBe(base + 1n);
    // Handed over by the release script, popped by the waiter from its list.
    const waiter = p.lock(name).acquire({ timeoutMs: 10_000 });
    while ((await p.status(name)).waiterCount < 1) await sleep(5);
    await holder.release();
    const handed = await waiter;
    expect(handed.token).toBe(base + 2n);
    await handed.release();
    const tried = await p.lock(name).tryAcquire();
    expect(tried?.token).toBe(base + 3n);
    await tried?.release();
    // A resent acquire (ioredis resends after a reconnect) answers with the same token, exactly.
    const client = new Redis(server.url);
    try {
      const args = ['resent-owner', 3000, MODE_TRY, 0, 0];
      expect(await runScript(client, ACQUIRE, keys.all, args)).toBe((base + 4n).toString());
      expect(await runScript(client, ACQUIRE, keys.all, args)).toBe((base + 4n).toString());
      expect(await runScript(client, RELEASE, keys.all, ['resent-owner', STAY, 0])).toBe(1);
    } finally {
      client.disconnect();
    }
  });
});

describe('fenceRetentionMs bounds the keys kept per name', () => {
  it('the counter expires after the grant TTL plus the retention, renewals push it out, and a new counter starts higher', async () => {
    const ttlMs = 300;
    const retentionMs = 200;
    const p = provider({ ttlMs, fenceRetentionMs: retentionMs });
    const name = 'retained';
    const fence = lockKeys('lock:', name).fence;
    const lease = await p.lock(name).acquire();
    const pttl = Number(await server.command('PTTL', fence));
    expect(pttl).toBeGreaterThan(retentionMs);
    expect(pttl).toBeLessThanOrEqual(ttlMs + retentionMs);
    // Held through several renewals, longer than TTL + retention: the counter is still there.
    await sleep(2 * (ttlMs + retentionMs));
    expect(lease.held).toBe(true);
    expect(await server.command('EXISTS', fence)).toBe(1);
    await lease.release();
    // Idle: gone after TTL + retention, nothing left for the name.
    while ((await server.command('EXISTS', fence)) === 1) await sleep(20);
    expect(await server.command('KEYS', `${lockKeys('lock:', name).lock}*`)).toEqual([]);
    const again = await p.lock(name).acquire();
    expect(again.token).toBeGreaterThan(lease.token);
    await again.release();
  });

  it('without it the counter is kept forever', async () => {
    const p = provider();
    const name = 'kept';
    await (await p.lock(name).acquire()).release();
    expect(await server.command('PTTL', lockKeys('lock:', name).fence)).toBe(-1);
  });
});

describe('raiseFence: a name moved from another cluster keeps its tokens increasing', () => {
  it('every later grant of the lock, the read-write lock and the semaphore is above the floor', async () => {
    const made = provider();
    const floor = (await serverTimeMs()) * BigInt(FENCE_EPOCH_SCALE) * 4n;
    await made.raiseFence('moved', floor);
    const lease = await made.lock('moved').acquire();
    expect(lease.token).toBe(floor + 1n);
    await lease.release();
    const write = await made.readWriteLock('moved').write.acquire();
    expect(write.token).toBe(floor + 2n);
    await write.release();
    const permit = await made.semaphore('moved', 2).acquire();
    expect(permit.token).toBe(floor + 3n);
    await permit.release();
  });

  it('never lowers a counter, and compares past 2^53 exactly', async () => {
    const made = provider();
    const first = await made.lock('high').acquire();
    await first.release();
    await made.raiseFence('high', 5n);
    const second = await made.lock('high').acquire();
    expect(second.token).toBe(first.token + 1n);
    await second.release();
    const beyond = TWO_TO_53 * 64n + 7n;
    await made.raiseFence('high', beyond);
    await made.raiseFence('high', beyond - 1n);
    const third = await made.lock('high').acquire();
    expect(third.token).toBe(beyond + 1n);
    await third.release();
  });

  it('keeps the counter expiry of fenceRetentionMs', async () => {
    const made = provider({ fenceRetentionMs: 60_000 });
    const lease = await made.lock('kept').acquire();
    await lease.release();
    await made.raiseFence('kept', lease.token + 1000n);
    const ttl = (await server.command('PTTL', lockKeys('lock:', 'kept').fence)) as number;
    expect(ttl).toBeGreaterThan(0);
  });

  it('refuses a floor that is not a bigint from 0, and a bad name, before any I/O', async () => {
    const made = provider();
    await expect(made.raiseFence('x', -1n)).rejects.toThrow(
      /atLeast: expected a fencing token \(a bigint from 0\), received -1n/,
    );
    await expect(made.raiseFence('x', 5 as unknown as bigint)).rejects.toThrow(/atLeast/);
    await expect(made.raiseFence('', 1n)).rejects.toThrow(/name/);
  });
});
