import { type Lease, type Lock, LockTimeoutError, PermitsMismatchError, sleep } from '@lock/core';
import { type RedisServer, startRedis } from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisProvider } from '../src/index.js';
import { admitsOneMore, HolderCount, MutantProvider, type Mutation } from './mode-support.js';

let server: RedisServer;
const providers: RedisProvider[] = [];
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close()));
  await server?.close();
});

function provider(mutation?: Mutation): RedisProvider {
  const options = { connection: server.url, ttlMs: 3000, recheckMs: 750 };
  const made = mutation === undefined ? new RedisProvider(options) : new MutantProvider(options, mutation);
  providers.push(made);
  return made;
}

let names = 0;
function uniqueName(label: string): string {
  names += 1;
  return `sem-${label}-${names}`;
}

async function untilWaiting(made: RedisProvider, name: string, count: number): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt += 1) {
    if ((await made.status(name)).waiterCount >= count) return;
    await sleep(5);
  }
  throw new Error(`${count} waiters never queued on ${name}`);
}

describe('a semaphore of 3 permits', () => {
  async function contend(
    made: RedisProvider,
    name: string,
  ): Promise<{ count: HolderCount; granted: number }> {
    const count = new HolderCount();
    let granted = 0;
    // Ten handles of one name, as ten clients would have, each taking a permit twelve times.
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const semaphore = made.semaphore(name, 3);
        for (let round = 0; round < 12; round += 1) {
          const lease = await semaphore.acquire({ timeoutMs: 20_000 });
          granted += 1;
          const done = count.permit();
          await sleep(1 + (round % 3));
          done();
          await lease.release();
        }
      }),
    );
    return { count, granted };
  }

  it('never has more than 3 holders under 10 contenders, and grants them all; red for one that admits 4', async () => {
    const name = uniqueName('bound');
    const made = provider();
    const sound = await contend(made, name);
    expect(sound.count.mostPermits).toBe(3);
    expect(sound.granted).toBe(120);
    expect(await made.leftoverKeys(name)).toEqual([]);
    const broken = await contend(provider(admitsOneMore), uniqueName('bound-mutant'));
    expect(broken.count.mostPermits).toBeGreaterThan(3);
  }, 60_000);

  it('holds 3 at once, the next waits, and a release admits exactly one; status shows permits', async () => {
    const made = provider();
    const name = uniqueName('capacity');
    const semaphore = made.semaphore(name, 3);
    const held = [await semaphore.acquire(), await semaphore.acquire(), await semaphore.acquire()];
    expect(await semaphore.tryAcquire()).toBeNull();
    const waiting = [semaphore.acquire(), semaphore.acquire()];
    await untilWaiting(made, name, 2);
    await held.shift()!.release();
    held.push(await Promise.race(waiting));
    const status = await made.status(name);
    expect(status).toMatchObject({ permits: 3, waiterCount: 1 });
    expect(status.holders.map((holder) => holder.token).sort()).toEqual(
      held.map((lease) => lease.token).sort(),
    );
    await held.shift()!.release();
    held.push(...(await Promise.all(waiting)).slice(1));
    for (const lease of held) await lease.release();
    expect(await made.leftoverKeys(name)).toEqual([]);
    expect((await made.status(name)).permits).toBeUndefined();
  });

  it('grants permits in arrival order', async () => {
    const made = provider();
    const name = uniqueName('fifo');
    const semaphore = made.semaphore(name, 2);
    const held = [await semaphore.acquire(), await semaphore.acquire()];
    const order: number[] = [];
    const waiters: Array<Promise<Lease>> = [];
    for (let index = 0; index < 5; index += 1) {
      waiters.push(
        semaphore.acquire().then((lease) => {
          order.push(index);
          return lease;
        }),
      );
      await untilWaiting(made, name, index + 1);
    }
    for (const lease of held) await lease.release();
    for (const waiter of waiters) await (await waiter).release();
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(await made.leftoverKeys(name)).toEqual([]);
  });

  it('issues strictly increasing tokens to permit holders in the order they are granted one at a time', async () => {
    const made = provider();
    const name = uniqueName('tokens');
    const semaphore = made.semaphore(name, 3);
    const tokens: bigint[] = [];
    for (let round = 0; round < 5; round += 1) {
      const leases = [await semaphore.acquire(), await semaphore.acquire()];
      tokens.push(...leases.map((lease) => lease.token));
      for (const lease of leases) await lease.release();
    }
    for (let index = 1; index < tokens.length; index += 1)
      expect(tokens[index]).toBeGreaterThan(tokens[index - 1]!);
  });
});

describe('permits must agree', () => {
  async function mismatch(other: Lock): Promise<unknown> {
    return other.acquire({ timeoutMs: 1000 }).then(
      (lease) => lease.release().then(() => undefined),
      (error: unknown) => error,
    );
  }

  it('refuses other permits with PermitsMismatchError while holders or waiters use 3, and queues nothing', async () => {
    const made = provider();
    const name = uniqueName('mismatch');
    const semaphore = made.semaphore(name, 1);
    const holder = await semaphore.acquire();
    const refused = await mismatch(made.semaphore(name, 2));
    expect(PermitsMismatchError.isInstance(refused)).toBe(true);
    expect(refused).toMatchObject({ permits: 2, existingPermits: 1, lockName: name });
    await expect(made.semaphore(name, 2).tryAcquire()).rejects.toBeInstanceOf(PermitsMismatchError);
    const waiter = semaphore.acquire();
    await untilWaiting(made, name, 1);
    await holder.release();
    const next = await waiter;
    expect((await made.status(name)).waiterCount).toBe(0);
    await next.release();
    // Nobody holds or waits: the name takes the new number.
    await (await made.semaphore(name, 2).acquire()).release();
    expect(await made.leftoverKeys(name)).toEqual([]);
  });

  it('refuses on the contended path too (enqueue and block in one pipeline), without waiting out a re-check', async () => {
    const made = provider();
    const name = uniqueName('mismatch-contended');
    const other = made.semaphore(name, 1);
    // Make `other` a handle whose last acquisition waited: its next one goes straight to a waiter connection.
    const first = await other.acquire();
    const second = other.acquire();
    await untilWaiting(made, name, 1);
    await first.release();
    await (await second).release();
    const holder = await made.semaphore(name, 3).acquire();
    const refused = await mismatch(other);
    expect(PermitsMismatchError.isInstance(refused), String(refused)).toBe(true);
    expect(refused).toMatchObject({ permits: 1, existingPermits: 3 });
    await holder.release();
    expect(await made.leftoverKeys(name)).toEqual([]);
  });
});

describe('timeouts and aborts', () => {
  it('a timed-out and an aborted permit waiter leave nothing behind', async () => {
    const made = provider();
    const name = uniqueName('leave');
    const semaphore = made.semaphore(name, 1);
    const holder = await semaphore.acquire();
    await expect(semaphore.acquire({ timeoutMs: 100 })).rejects.toBeInstanceOf(LockTimeoutError);
    const controller = new AbortController();
    const aborted = semaphore.acquire({ signal: controller.signal });
    await untilWaiting(made, name, 1);
    controller.abort(new Error('caller gave up'));
    await expect(aborted).rejects.toThrow('caller gave up');
    expect((await made.status(name)).waiterCount).toBe(0);
    await holder.release();
    expect(await made.leftoverKeys(name)).toEqual([]);
  });
});
